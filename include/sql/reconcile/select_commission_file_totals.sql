-- Control totals of the commission files published, by agency and month label (YYYYMM).
SELECT agency_code, period_label, file_name, control_total, row_count
FROM core.publication_log
WHERE file_type = 'COMMISSION'
ORDER BY agency_code, period_label, file_name

-- Agency return files received so far, per agency: files, rows received / accepted / rejected /
-- duplicate, files rejected whole and duplicate files; no parameters.
SELECT agency_code, count(*), sum(rows_received), sum(rows_accepted), sum(rows_rejected),
sum(rows_duplicate), count(*) FILTER (WHERE status = 'REJECTED'),
count(*) FILTER (WHERE status = 'DUPLICATE') FROM core.return_file GROUP BY 1 ORDER BY 1

-- The months added on a day (core.dossier_addition), the rows of each agency's supplementary detail file
-- (CNSS_ADDED). Parameter: the day (added_on). Ordered again in Python (render_detail).
SELECT dossier_id, agency_code, period, kind, amount_due
FROM core.dossier_addition
WHERE added_on = ?
ORDER BY agency_code, dossier_id, period, kind

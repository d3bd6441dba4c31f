-- The months added to dossiers by a published supplementary detail file (core.dossier_addition), all
-- kinds together, with the day from which each counts for the agency (added_on).
SELECT dossier_id, period, sum(amount_due) AS amount_due, min(added_on) AS added_on
FROM core.dossier_addition
WHERE file_name IS NOT NULL
GROUP BY dossier_id, period
ORDER BY dossier_id, period

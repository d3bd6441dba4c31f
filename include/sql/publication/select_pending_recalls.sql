-- Recalls not yet told to their agency (file_name NULL) decided before the end of the file's day.
-- Parameter: decided_before (timestamp, exclusive).
SELECT r.dossier_id, d.agency_code, r.recall_date, r.reason
FROM core.dossier_recall AS r
JOIN core.dossier AS d ON d.dossier_id = r.dossier_id
WHERE r.file_name IS NULL
  AND r.decided_at < ?

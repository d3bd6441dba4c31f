-- Recalls not yet told to their agency (file_name NULL) decided on or before the file's day (the
-- lifecycle's day judged, not the wall clock: a back-filled day sends what it decided).
-- Parameter: the file's day (date).
SELECT r.dossier_id, d.agency_code, r.recall_date, r.reason
FROM core.dossier_recall AS r
JOIN core.dossier AS d ON d.dossier_id = r.dossier_id
WHERE r.file_name IS NULL
  AND r.decided_on <= ?

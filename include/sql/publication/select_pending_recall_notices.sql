-- Recall notices not yet told to their agency (file_name NULL) decided on or before the file's day.
-- Parameter: the file's day (date).
SELECT n.dossier_id, n.agency_code, n.reason, n.intended_recall_date, n.objection_deadline, n.owed_amount
FROM core.recall_notice AS n
WHERE n.file_name IS NULL
  AND n.notified_on <= ?

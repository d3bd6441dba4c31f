-- Recall notices told to their agency: the notice file that carried them. Parameters: file_name, agency,
-- list of dossier_id.
UPDATE core.recall_notice
SET file_name = ?
WHERE file_name IS NULL
  AND agency_code = ?
  AND dossier_id IN (SELECT unnest(CAST(? AS VARCHAR[])))

-- Recalls told to their agency: the recall file that carried them. Parameters: file_name, list of dossier_id.
UPDATE core.dossier_recall
SET file_name = ?
WHERE file_name IS NULL
  AND dossier_id IN (SELECT unnest(CAST(? AS VARCHAR[])))

-- Dossiers now with their agency: ALLOCATED becomes PUBLISHED (a later status is never undone).
-- Parameters: status_date, agency_code, list of dossier_id.
UPDATE core.dossier
SET status = 'PUBLISHED', status_date = ?
WHERE status = 'ALLOCATED'
  AND agency_code = ?
  AND dossier_id IN (SELECT unnest(CAST(? AS VARCHAR[])))

-- Dossiers taken back: status RECALLED as of their recall date. Parameters: recall date, list of dossier_id.
UPDATE core.dossier
SET status = 'RECALLED', status_date = ?
WHERE status IN ('ALLOCATED', 'PUBLISHED')
  AND dossier_id IN (SELECT unnest(CAST(? AS VARCHAR[])))

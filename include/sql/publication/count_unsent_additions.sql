-- Added rows of an agency's day not yet recorded as sent. Parameters: agency, day, list of dossier_id.
SELECT count(*)
FROM core.dossier_addition
WHERE file_name IS NULL
  AND agency_code = ?
  AND added_on = ?
  AND dossier_id IN (SELECT unnest(CAST(? AS VARCHAR[])))

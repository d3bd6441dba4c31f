-- Added months told to their agency: the supplementary file that carried them and the day it was
-- recorded (the first recording kept). Parameters: file_name, local day, agency, added_on, dossier ids.
UPDATE core.dossier_addition
SET file_name = ?, sent_on = COALESCE(sent_on, ?)
WHERE file_name IS NULL
  AND agency_code = ?
  AND added_on = ?
  AND dossier_id IN (SELECT unnest(CAST(? AS VARCHAR[])))

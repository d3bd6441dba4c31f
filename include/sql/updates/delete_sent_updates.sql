-- Forget the updates recorded as sent to one agency on one day (a re-run records them again).
-- Parameters: agency_code, sent_on.
DELETE FROM core.dossier_update WHERE agency_code = ? AND sent_on = CAST(? AS DATE)

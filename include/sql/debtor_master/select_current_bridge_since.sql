-- The current bridge rows with the day each was opened; no parameters.
SELECT affiliation_no, debtor_id, valid_from FROM core.bridge_affiliation_debtor
WHERE is_current

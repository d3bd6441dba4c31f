-- The debtor each affiliation number belongs to now (current bridge rows); no parameters.
SELECT affiliation_no, debtor_id FROM core.bridge_affiliation_debtor WHERE is_current

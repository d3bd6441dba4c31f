-- Current debtor of each affiliation number.
SELECT affiliation_no, debtor_id FROM core.bridge_affiliation_debtor WHERE is_current

-- Close the current bridge row of every affiliation that changes debtor (param: valid_to, the
-- build date).
UPDATE core.bridge_affiliation_debtor SET valid_to = ?, is_current = false
WHERE is_current AND affiliation_no IN (SELECT affiliation_no FROM core.load_bridge)

-- Close the current history version of every debtor whose golden record changes (or that is
-- revived from MERGED) (param: valid_to, the build's moment). Composed part "differs": as in
-- debtor_master/count_changed_debtors.
UPDATE core.debtor_history SET valid_to = ?, is_current = false WHERE is_current AND
debtor_id IN (SELECT l.debtor_id FROM core.load_debtor l JOIN core.dim_debtor d
USING (debtor_id) WHERE d.status = 'MERGED' OR {differs})

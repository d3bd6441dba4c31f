-- How many loaded golden records are debtors core.dim_debtor does not hold yet; no parameters.
SELECT count(*) FROM core.load_debtor l WHERE NOT EXISTS
(SELECT 1 FROM core.dim_debtor d WHERE d.debtor_id = l.debtor_id)

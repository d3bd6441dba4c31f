-- The debtor portfolio date a selection reads: the latest on or before the month start.
-- Parameter: month start.
SELECT max(as_of_date) FROM core.debtor_portfolio WHERE as_of_date <= ?

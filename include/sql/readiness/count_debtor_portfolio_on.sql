-- Debtors of the debtor master built for a day (core.debtor_portfolio of that day): 0 when that day's
-- master was never built (recouvra.readiness).
SELECT count(*) FROM core.debtor_portfolio WHERE as_of_date = ?

-- How many entries core.ledger_payment holds dated up to a run date (payments and reversals).
-- Parameter: run date (inclusive).
SELECT count(*) FROM core.ledger_payment WHERE payment_date <= ?

-- core.attribution's rows dated up to a run date: how many, their net amount, and how many are of a
-- reversal. Parameter: run date (inclusive).
SELECT count(*),
       coalesce(sum(a.amount), 0),
       coalesce(sum(CASE WHEN l.kind = 'REVERSAL' THEN 1 ELSE 0 END), 0)
FROM core.attribution AS a
LEFT JOIN core.ledger_payment AS l ON l.ledger_payment_id = a.ledger_payment_id
WHERE a.payment_date <= ?

-- The reversals of core.ledger_payment dated up to a run date whose reversed payment the ledger does
-- not hold as a PAYMENT dated up to that date: attribution cannot link them to anything. In the order
-- attribution meets them (date, then id). Parameters: run date (inclusive), run date again.
SELECT r.ledger_payment_id
FROM core.ledger_payment AS r
LEFT JOIN core.ledger_payment AS p
       ON p.ledger_payment_id = r.reverses_payment_id
      AND p.payment_date <= ?
WHERE r.kind = 'REVERSAL'
  AND r.payment_date <= ?
  AND (p.ledger_payment_id IS NULL OR p.kind <> 'PAYMENT')
ORDER BY r.payment_date, r.ledger_payment_id

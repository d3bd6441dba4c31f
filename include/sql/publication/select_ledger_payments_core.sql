-- Ledger entries of some affiliation numbers from core.ledger_payment (amounts already in MAD),
-- first seen before a bound. Parameters: affiliation numbers, seen_before (date, exclusive).
SELECT
    ledger_payment_id,
    affiliation_no,
    payment_date,
    amount,
    settles_period,
    kind,
    reverses_payment_id,
    first_seen_on
FROM core.ledger_payment
WHERE affiliation_no IN (SELECT unnest(CAST(? AS VARCHAR[])))
  AND first_seen_on < ?

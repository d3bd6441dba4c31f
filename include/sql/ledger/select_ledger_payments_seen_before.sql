-- Ledger entries of some affiliation numbers first seen before a run date (first_seen_on < it): what
-- core.ledger_payment held when that day began, whatever was loaded since. Columns as
-- select_ledger_payments. Parameters: affiliation numbers, run date (exclusive).
SELECT
    ledger_payment_id,
    receipt_no,
    affiliation_no,
    debtor_id,
    payment_date,
    amount,
    kind,
    reverses_payment_id,
    settles_period,
    channel,
    first_seen_on,
    payment_ref
FROM core.ledger_payment
WHERE affiliation_no IN (SELECT unnest(CAST(? AS VARCHAR[])))
  AND first_seen_on < ?
ORDER BY ledger_payment_id

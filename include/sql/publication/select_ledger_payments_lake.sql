-- Ledger entries (payments and reversals) of some affiliation numbers, recorded before a bound,
-- from the lake's current-state view ledger_payments (DuckDB). Parameters: affiliation numbers,
-- recorded_before (timestamp, exclusive).
SELECT
    payment_id                AS ledger_payment_id,
    affiliation_no,
    payment_date,
    amount_centimes,
    settles_period,
    kind,
    reverses_payment_id,
    recorded_at
FROM ledger_payments
WHERE affiliation_no IN (SELECT unnest(CAST(? AS VARCHAR[])))
  AND recorded_at < ?

-- The fund's ledger as the lake holds it now (current state of each entry), recorded before a bound
-- (DuckDB, over open_lake's view ledger_payments). Parameter: recorded_before (timestamp, exclusive).
SELECT
    payment_id,
    receipt_no,
    affiliation_no,
    payment_date,
    amount_centimes,
    settles_period,
    kind,
    reverses_payment_id,
    channel,
    payment_ref
FROM ledger_payments
WHERE recorded_at < ?
ORDER BY payment_id

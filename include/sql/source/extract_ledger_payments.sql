-- Rows of ledger_payments changed in the watermark window (low, high]: one incremental snapshot.
-- Portable (SQLite, PostgreSQL); the window bounds low and high are bound by recouvra.extract.
SELECT payment_id,
       receipt_no,
       affiliation_no,
       payment_date,
       amount_centimes,
       settles_period,
       kind,
       reverses_payment_id,
       channel,
       recorded_at,
       updated_at
FROM ledger_payments
WHERE updated_at > :low
  AND updated_at <= :high
ORDER BY updated_at, payment_id

-- Rows of ledger_payments changed in the watermark window (low, high]: one incremental snapshot.
-- A table's first window (full_load = 1) also takes the rows with no updated_at: no later window
-- can see them. Both terms use the updated_at index (SQLite: MULTI-INDEX OR; PostgreSQL: BitmapOr).
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
       payment_ref,
       recorded_at,
       updated_at
FROM ledger_payments
WHERE (updated_at > :low AND updated_at <= :high)
   OR (updated_at IS NULL AND :full_load = 1)
ORDER BY updated_at, payment_id

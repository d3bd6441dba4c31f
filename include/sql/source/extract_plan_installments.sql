-- Rows of plan_installments changed in the watermark window (low, high]: one incremental snapshot.
-- Portable (SQLite, PostgreSQL); the window bounds low and high are bound by recouvra.extract.
SELECT plan_id,
       seq,
       due_date,
       amount_centimes,
       paid_on,
       updated_at
FROM plan_installments
WHERE updated_at > :low
  AND updated_at <= :high
ORDER BY updated_at, plan_id, seq

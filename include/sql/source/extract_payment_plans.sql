-- Rows of payment_plans changed in the watermark window (low, high]: one incremental snapshot.
-- Portable (SQLite, PostgreSQL); the window bounds low and high are bound by recouvra.extract.
SELECT plan_id,
       affiliation_no,
       signed_on,
       installments,
       total_centimes,
       status,
       updated_at
FROM payment_plans
WHERE updated_at > :low
  AND updated_at <= :high
ORDER BY updated_at, plan_id

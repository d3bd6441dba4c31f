-- Rows of disputes changed in the watermark window (low, high]: one incremental snapshot.
-- Portable (SQLite, PostgreSQL); the window bounds low and high are bound by recouvra.extract.
SELECT dispute_id,
       affiliation_no,
       period,
       opened_on,
       resolved_on,
       status,
       updated_at
FROM disputes
WHERE updated_at > :low
  AND updated_at <= :high
ORDER BY updated_at, dispute_id

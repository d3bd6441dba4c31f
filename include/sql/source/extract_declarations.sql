-- Rows of declarations changed in the watermark window (low, high]: one incremental snapshot.
-- Portable (SQLite, PostgreSQL); the window bounds low and high are bound by recouvra.extract.
SELECT declaration_id,
       affiliation_no,
       period,
       headcount,
       payroll_centimes,
       declared_on,
       channel,
       updated_at
FROM declarations
WHERE updated_at > :low
  AND updated_at <= :high
ORDER BY updated_at, declaration_id

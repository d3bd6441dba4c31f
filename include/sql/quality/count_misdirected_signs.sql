-- Ledger rows whose sign contradicts their kind: a payment must be positive, a reversal negative
-- (DuckDB over the snapshot's Parquet files). Param: the files' glob.
SELECT count(*) FROM read_parquet(?)
WHERE (kind = 'PAYMENT' AND amount_centimes <= 0)
   OR (kind = 'REVERSAL' AND amount_centimes >= 0)

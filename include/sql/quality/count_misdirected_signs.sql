-- Ledger rows whose sign contradicts their kind: a payment must be positive, a reversal negative
-- (DuckDB, over the view of the snapshot's Parquet files). Part: view = the snapshot's view.
SELECT count(*) FROM {view}
WHERE (kind = 'PAYMENT' AND amount_centimes <= 0)
   OR (kind = 'REVERSAL' AND amount_centimes >= 0)

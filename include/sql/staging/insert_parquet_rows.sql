-- Inserts a snapshot's rows into its staging table, read from its Parquet files in place (DuckDB);
-- returns the rows inserted. Parts: table = the staging table (without schema), columns = the source
-- columns. Params: the snapshot date (from its manifest), the list of the snapshot's files.
INSERT INTO staging.{table} ({columns}, snapshot_date)
SELECT {columns}, CAST(? AS DATE) FROM read_parquet(?)

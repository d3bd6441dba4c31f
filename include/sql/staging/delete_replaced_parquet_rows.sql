-- Removes the staging rows whose keys a snapshot holds a newer version of, reading the snapshot's
-- Parquet files in place (DuckDB). Parts: table = the staging table (without schema), match = the key
-- equality (w.key = staging.table.key AND ...). Param: the list of the snapshot's files.
DELETE FROM staging.{table} WHERE EXISTS (SELECT 1 FROM read_parquet(?) w WHERE {match})

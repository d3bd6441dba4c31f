-- Every row of one extracted snapshot, for the row suite that Great Expectations runs as SQL on
-- DuckDB. Part: view, the snapshot's view over its Parquet files (named after its table).
SELECT * FROM {view}

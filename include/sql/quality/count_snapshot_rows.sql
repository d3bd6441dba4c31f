-- Rows of one extracted snapshot (DuckDB over its Parquet files). Param: the files' glob.
SELECT count(*) FROM read_parquet(?)

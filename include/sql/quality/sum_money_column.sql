-- Total of one money column over a snapshot, in centimes (DuckDB over its Parquet files).
-- Part: column = the money column. Param: the files' glob.
SELECT coalesce(sum({column}), 0) FROM read_parquet(?)

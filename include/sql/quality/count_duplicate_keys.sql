-- Primary keys held by more than one row of a snapshot (DuckDB over its Parquet files).
-- Part: keys = the table's primary key columns. Param: the files' glob.
SELECT count(*) FROM (SELECT {keys} FROM read_parquet(?) GROUP BY {keys} HAVING count(*) > 1)

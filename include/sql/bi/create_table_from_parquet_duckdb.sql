-- One table of the BI export database (bi.duckdb) holding an exported view's rows, read from its
-- Parquet file (DuckDB only). Part: view. Param: the Parquet file's path.
CREATE TABLE marts.{view} AS SELECT * FROM read_parquet(?)

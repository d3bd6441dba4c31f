-- Export one BI view to a Parquet file (DuckDB only), rows sorted on every column so that the same
-- marts give the same file. Part: view (an identifier from bi/select_bi_views). Param: the file path.
-- Returns the number of rows written.
COPY (SELECT * FROM marts.{view} ORDER BY ALL) TO ? (FORMAT PARQUET)

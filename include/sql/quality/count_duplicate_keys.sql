-- Primary keys held by more than one row of a snapshot (DuckDB, over the view of its Parquet files).
-- Parts: keys = the table's primary key columns, view = the snapshot's view.
SELECT count(*) FROM (SELECT {keys} FROM {view} GROUP BY {keys} HAVING count(*) > 1)

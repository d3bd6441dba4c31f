-- The current state of one source table as a temporary view over every published snapshot of it:
-- the latest version of each primary key (latest snapshot_date, then latest updated_at). DuckDB.
-- Parts (composed by recouvra.lake.register_current_views): table = the view and table name,
-- columns = its column list, keys = its primary key columns, folder = its folder in the lake (a
-- part, not a parameter: a view takes none), which holds one snapshot_date=YYYY-MM-DD folder per
-- published snapshot (recouvra.lake.current_glob).
CREATE OR REPLACE TEMP VIEW {table} AS
SELECT {columns}
FROM (
    SELECT *, row_number() OVER (PARTITION BY {keys}
                                 ORDER BY snapshot_date DESC, updated_at DESC) AS _rn
    FROM read_parquet('{folder}/snapshot_date=*/*.parquet', hive_partitioning = true)
)
WHERE _rn = 1

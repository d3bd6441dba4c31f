-- The current state of one source table as a temporary view over every published snapshot of it:
-- the latest version of each primary key (latest snapshot_date, then latest updated_at). DuckDB.
-- Parts (composed by recouvra.lake.register_current_views): {table} the view and table name,
-- {columns} its column list, {keys} its primary key columns, {glob} the glob of its Parquet files.
CREATE OR REPLACE TEMP VIEW {table} AS
SELECT {columns}
FROM (
    SELECT *, row_number() OVER (PARTITION BY {keys}
                                 ORDER BY snapshot_date DESC, updated_at DESC) AS _rn
    FROM read_parquet('{glob}', hive_partitioning = true)
)
WHERE _rn = 1

-- One source table as of a day, as a temporary view over its published snapshots dated up to that day:
-- the latest version of each primary key (latest snapshot_date, then latest updated_at). DuckDB.
-- Parts (composed by recouvra.lake.register_views): table = the view and table name, columns = its
-- column list, keys = its primary key columns, folder = its folder in the lake (a part, not a
-- parameter: a view takes none), which holds one snapshot_date=YYYY-MM-DD folder per published
-- snapshot; cut = the condition on snapshot_date (snapshot_date <= make_date(y, m, d), or true for
-- every snapshot: the status command and ad-hoc tools). union_by_name: a column the source gained later
-- (ledger_payments.payment_ref) reads NULL in the snapshots written before it.
CREATE OR REPLACE TEMP VIEW {table} AS
SELECT {columns}
FROM (
    SELECT *, row_number() OVER (PARTITION BY {keys}
                                 ORDER BY snapshot_date DESC, updated_at DESC) AS _rn
    FROM read_parquet('{folder}/snapshot_date=*/*.parquet', hive_partitioning = true,
                        union_by_name = true)
    WHERE {cut}
)
WHERE _rn = 1

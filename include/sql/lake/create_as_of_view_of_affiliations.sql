-- One source table as of a day, narrowed to some affiliation numbers, as a temporary view: the rows of
-- create_as_of_view.sql's view whose affiliation_no is in the registered relation {affiliations}, read
-- without deduplicating the whole table. The snapshots are scanned for the keys that ever had one of
-- these numbers; every version of those keys is deduplicated as there (latest snapshot_date, then
-- latest updated_at), and the latest version is kept when its number is one of them: the same rows,
-- whatever a later version changed. DuckDB.
-- Parts (composed by recouvra.lake.register_view_of_affiliations): view = the view's name, columns,
-- key = the table's one primary key column, folder, cut (as create_as_of_view.sql), affiliations = the
-- registered relation holding the wanted numbers (column affiliation_no).
CREATE OR REPLACE TEMP VIEW {view} AS
SELECT {columns}
FROM (
    SELECT *, row_number() OVER (PARTITION BY {key}
                                 ORDER BY snapshot_date DESC, updated_at DESC) AS _rn
    FROM read_parquet('{folder}/snapshot_date=*/*.parquet', hive_partitioning = true,
                        union_by_name = true)
    WHERE {cut}
      AND {key} IN (
          SELECT {key}
          FROM read_parquet('{folder}/snapshot_date=*/*.parquet', hive_partitioning = true,
                              union_by_name = true)
          WHERE {cut} AND affiliation_no IN (SELECT affiliation_no FROM {affiliations}))
)
WHERE _rn = 1
  AND affiliation_no IN (SELECT affiliation_no FROM {affiliations})

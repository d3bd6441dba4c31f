-- One source table as of a day, as create_as_of_view.sql makes it (the latest version of each primary
-- key across the snapshots up to the cut), restricted to the keys some version of which names an
-- affiliation number of the table {scope} (column affiliation_no): a reader that wants a few affiliation
-- numbers ranks the versions of their rows only, not of the whole portfolio. A key whose current version
-- names another number is kept too (its latest version is the same as in the whole view), so that a
-- reader joining the view on the numbers it wants gets exactly what it would get from the whole view.
-- DuckDB. Parts (composed by recouvra.lake.register_views): table, columns, keys, folder, cut as in
-- create_as_of_view.sql; scope = a table or view registered on the connection.
CREATE OR REPLACE TEMP VIEW {table} AS
-- versions is read twice (the keys named, then their rows): NOT MATERIALIZED, as DuckDB otherwise
-- materialises a CTE read twice, holding every version of the table (1.7 GB at L for 500 numbers).
WITH versions AS NOT MATERIALIZED (
    SELECT *
    FROM read_parquet('{folder}/snapshot_date=*/*.parquet', hive_partitioning = true,
                      union_by_name = true)
    WHERE {cut}
),
named AS (
    SELECT DISTINCT {keys} FROM versions
    WHERE affiliation_no IN (SELECT affiliation_no FROM {scope})
)
SELECT {columns}
FROM (
    SELECT v.*, row_number() OVER (PARTITION BY {keys}
                                   ORDER BY snapshot_date DESC, updated_at DESC) AS _rn
    FROM versions AS v SEMI JOIN named USING ({keys})
)
WHERE _rn = 1

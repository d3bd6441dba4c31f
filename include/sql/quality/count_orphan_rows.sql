-- Rows of a snapshot whose employer is not known, and how many distinct employers they name
-- (DuckDB, over the view of its Parquet files and a table of known employers).
-- Parts: view = the snapshot's view, known = the known employers' table.
SELECT count(*), count(DISTINCT affiliation_no)
FROM {view} r
WHERE r.affiliation_no NOT IN (SELECT affiliation_no FROM {known})

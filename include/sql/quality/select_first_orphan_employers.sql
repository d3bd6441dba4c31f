-- The first unknown employers a snapshot's rows refer to, in order (DuckDB, over the view of its
-- Parquet files and a table of known employers). Parts: view = the snapshot's view, known = the
-- known employers' table. Param: how many to name.
SELECT DISTINCT affiliation_no
FROM {view} r
WHERE r.affiliation_no NOT IN (SELECT affiliation_no FROM {known})
ORDER BY affiliation_no
LIMIT ?

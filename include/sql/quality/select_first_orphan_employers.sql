-- The first unknown employers a snapshot's rows refer to, in order (DuckDB over its Parquet files
-- and the table known_employers). Params: the files' glob, how many to name.
SELECT DISTINCT affiliation_no
FROM read_parquet(?) r
WHERE r.affiliation_no NOT IN (SELECT affiliation_no FROM known_employers)
ORDER BY affiliation_no
LIMIT ?

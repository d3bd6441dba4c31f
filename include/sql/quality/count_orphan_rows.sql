-- Rows of a snapshot whose employer is not known, and how many distinct employers they name
-- (DuckDB over its Parquet files and the table known_employers). Param: the files' glob.
SELECT count(*), count(DISTINCT affiliation_no)
FROM read_parquet(?) r
WHERE r.affiliation_no NOT IN (SELECT affiliation_no FROM known_employers)

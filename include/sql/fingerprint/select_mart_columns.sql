-- The columns of every table and view of schema marts, in column order (recouvra.fingerprint).
-- DuckDB and PostgreSQL alike.
SELECT table_name, column_name
FROM information_schema.columns
WHERE table_schema = 'marts'
ORDER BY table_name, ordinal_position

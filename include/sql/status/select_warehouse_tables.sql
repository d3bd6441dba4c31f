-- Every base table of the warehouse's schemas (staging, core, marts, meta) as (schema, table), in
-- name order; no parameters. Read by `recouvra status` to count each table's rows.
SELECT table_schema, table_name FROM information_schema.tables
WHERE table_schema IN ('staging', 'core', 'marts', 'meta')
AND table_type = 'BASE TABLE' ORDER BY 1, 2

-- Whether the migration bookkeeping table exists yet (1) or not (0). Same SQL on DuckDB and PostgreSQL.
SELECT count(*) FROM information_schema.tables
WHERE table_schema = 'meta' AND table_name = 'schema_migrations'

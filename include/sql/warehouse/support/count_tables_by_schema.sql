-- How many tables each schema holds (recouvra.warehouse.describe). Same SQL on DuckDB and PostgreSQL.
SELECT table_schema, count(*) FROM information_schema.tables
WHERE table_type = 'BASE TABLE' GROUP BY table_schema

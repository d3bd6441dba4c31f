-- The schemas the warehouse holds (recouvra.warehouse.describe). Same SQL on DuckDB and PostgreSQL.
SELECT schema_name FROM information_schema.schemata

-- Every column of the warehouse's schemas, with whether it belongs to the primary key and the table
-- and column comments (DuckDB catalogue). Read by recouvra.warehouse.describe.
SELECT c.schema_name, c.table_name, c.column_name, c.column_index, c.data_type, c.is_nullable,
       EXISTS (
           SELECT 1
           FROM duckdb_constraints() AS k
           WHERE k.database_name = c.database_name AND k.schema_name = c.schema_name
             AND k.table_name = c.table_name AND k.constraint_type = 'PRIMARY KEY'
             AND list_contains(k.constraint_column_names, c.column_name)
       ) AS is_primary_key,
       t.comment AS table_comment, c.comment AS column_comment
FROM duckdb_columns() AS c
JOIN duckdb_tables() AS t
  ON t.database_name = c.database_name AND t.schema_name = c.schema_name AND t.table_name = c.table_name
WHERE c.database_name = current_database()
  AND c.schema_name IN ('staging', 'core', 'marts', 'meta')
ORDER BY c.schema_name, c.table_name, c.column_index;

-- Every column of the warehouse's schemas, with whether it belongs to the primary key and the table
-- and column comments (PostgreSQL catalogue). Read by recouvra.warehouse.describe.
SELECT n.nspname AS schema_name, cl.relname AS table_name, a.attname AS column_name,
       a.attnum AS column_index, format_type(a.atttypid, a.atttypmod) AS data_type,
       NOT a.attnotnull AS is_nullable,
       EXISTS (
           SELECT 1
           FROM pg_catalog.pg_index AS i
           WHERE i.indrelid = cl.oid AND i.indisprimary AND a.attnum = ANY (i.indkey)
       ) AS is_primary_key,
       obj_description(cl.oid, 'pg_class') AS table_comment,
       col_description(cl.oid, a.attnum) AS column_comment
FROM pg_catalog.pg_class AS cl
JOIN pg_catalog.pg_namespace AS n ON n.oid = cl.relnamespace
JOIN pg_catalog.pg_attribute AS a ON a.attrelid = cl.oid AND a.attnum > 0 AND NOT a.attisdropped
WHERE cl.relkind IN ('r', 'p')
  AND n.nspname IN ('staging', 'core', 'marts', 'meta')
ORDER BY n.nspname, cl.relname, a.attnum;

-- Bulk read on PostgreSQL: a query's rows streamed out as CSV (NULL an unquoted empty field, an empty
-- string a quoted one), read into Arrow with the caller's schema.
-- Parts (composed by recouvra.warehouse.Warehouse.query_arrow): query = one statement of a project SQL
-- file, its comments removed; its ? placeholders are bound client-side by psycopg.
COPY ({query}) TO STDOUT WITH (FORMAT csv)

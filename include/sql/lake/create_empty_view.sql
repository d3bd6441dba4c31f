-- A typed, empty view for a source table that has no published snapshot yet. DuckDB.
-- Parts (composed by recouvra.lake.register_views): table = the view name, columns = the
-- table's columns as typed NULLs (NULL::BIGINT AS declaration_id, ...).
CREATE OR REPLACE TEMP VIEW {table} AS
SELECT {columns}
WHERE false

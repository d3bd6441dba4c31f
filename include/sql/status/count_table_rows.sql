-- Row count of one warehouse table; no parameters. Composed part "table": a schema-qualified name
-- taken from information_schema (status/select_warehouse_tables).
SELECT count(*) FROM {table}

-- Bulk load on PostgreSQL: the rows streamed as CSV (every non-null value quoted).
-- Parts (composed by recouvra.warehouse.Warehouse.load_arrow): table = schema.table, columns = the
-- quoted column list.
COPY {table} ({columns}) FROM STDIN WITH (FORMAT csv)

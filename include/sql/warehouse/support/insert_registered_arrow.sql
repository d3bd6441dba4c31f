-- Bulk load on DuckDB: appends the rows of an Arrow table registered on the connection.
-- Parts (composed by recouvra.warehouse.Warehouse.load_arrow): table = schema.table, columns = the
-- quoted column list, view = the name the Arrow table is registered under.
INSERT INTO {table} ({columns}) SELECT {columns} FROM {view}

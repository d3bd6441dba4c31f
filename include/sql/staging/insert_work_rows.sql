-- Inserts the work table's rows into the staging table.
-- Parts: table = the staging table (without schema), work = the work table.
INSERT INTO staging.{table} SELECT * FROM {work}

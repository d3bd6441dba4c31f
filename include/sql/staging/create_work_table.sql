-- An empty work table shaped like a staging table, bulk-loaded with one snapshot's rows.
-- Parts: work = the work table, table = the staging table (without schema).
CREATE TABLE {work} AS SELECT * FROM staging.{table} WHERE 1 = 0

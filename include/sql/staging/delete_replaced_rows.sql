-- Removes the staging rows whose keys the work table holds a newer version of.
-- Parts: table = the staging table (without schema), work = the work table, match = the key
-- equality (w.key = staging.table.key AND ...).
DELETE FROM staging.{table} WHERE EXISTS (SELECT 1 FROM {work} w WHERE {match})

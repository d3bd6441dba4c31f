-- SQLite only (recouvra.extract.scan_hint): the rows of a table's later watermark window (low, high],
-- counted from the updated_at index alone where the source has it (a covering index scan, no table
-- row read), to decide whether the window's extraction scans the table. Part: table = the table.
SELECT count(*) FROM {table}
WHERE updated_at > :low AND updated_at <= :high

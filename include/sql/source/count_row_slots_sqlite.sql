-- SQLite only (recouvra.extract.scan_hint): the table's largest rowid, read from the end of its B-tree
-- without a scan: the table's size, or more after deletions. Part: table = the table.
SELECT coalesce(max(rowid), 0) FROM {table}

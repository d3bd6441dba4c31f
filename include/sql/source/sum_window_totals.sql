-- What the source itself holds in a table's watermark window (low, high], the same window as its
-- extract_<table>.sql: the row count and each money column's total, for the quality gate to compare
-- with the snapshot. Portable (SQLite, PostgreSQL); the window bounds are bound by recouvra.extract.
-- Parts: totals = count(*) then coalesce(sum(<money column>), 0) per money column, table = the table,
-- scan = NOT INDEXED on SQLite in a full load (a table scan beats fetching every row by rowid from the
-- updated_at index), empty otherwise.
SELECT {totals} FROM {table} {scan}
WHERE (updated_at > :low AND updated_at <= :high)
   OR (updated_at IS NULL AND :full_load = 1)

-- What the source itself holds in a table's watermark window (low, high], the same window as its
-- extract_<table>.sql: the row count and each money column's total, for the quality gate to compare
-- with the snapshot. Portable (SQLite, PostgreSQL); the window bounds are bound by recouvra.extract.
-- Parts: totals = count(*) then coalesce(sum(<money column>), 0) per money column, table = the table.
SELECT {totals} FROM {table}
WHERE (updated_at > :low AND updated_at <= :high)
   OR (updated_at IS NULL AND :full_load = 1)

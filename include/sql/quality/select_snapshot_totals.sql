-- A snapshot's row count and money totals (centimes), in one scan (DuckDB, over the view of its
-- Parquet files). Parts: totals = count(*) then coalesce(sum(<money column>), 0) per money column;
-- view = the snapshot's view.
SELECT {totals} FROM {view}

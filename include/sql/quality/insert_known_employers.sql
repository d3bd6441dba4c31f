-- Adds the affiliation numbers of one set of employers snapshots to a known employers' table (DuckDB).
-- Part: known = the table. Param: the glob of the employers Parquet files (published ones or this
-- run's own).
INSERT INTO {known} SELECT affiliation_no FROM read_parquet(?)

-- Adds the affiliation numbers of one set of employers snapshots to known_employers (DuckDB).
-- Param: the glob of the employers Parquet files (published ones or this run's own).
INSERT INTO known_employers SELECT affiliation_no FROM read_parquet(?)

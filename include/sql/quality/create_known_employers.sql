-- The employers a snapshot's rows may refer to, filled by insert_known_employers.sql (DuckDB, the
-- gate's in-memory connection: one such table per set of employers snapshots, shared by the
-- snapshots that refer to the same set). Part: known = the table.
CREATE TEMP TABLE {known} (affiliation_no VARCHAR)

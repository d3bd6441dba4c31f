-- The employers a snapshot's rows may refer to, filled by insert_known_employers.sql (DuckDB,
-- one in-memory connection per snapshot check).
CREATE TEMP TABLE known_employers (affiliation_no VARCHAR)

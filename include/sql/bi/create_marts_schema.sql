-- The schema of the BI export database (bi.duckdb): the same qualified names as the warehouse's views.
CREATE SCHEMA IF NOT EXISTS marts

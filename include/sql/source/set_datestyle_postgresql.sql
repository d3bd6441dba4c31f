-- PostgreSQL only: dates and timestamps written in ISO form (YYYY-MM-DD hh:mm:ss[.ffffff]) for the
-- CSV that recouvra.extract parses with pyarrow.csv; for the current transaction only.
SET LOCAL DateStyle TO ISO

-- Set the connection's DuckDB memory limit (what does not fit spills to its temporary directory).
-- DuckDB. Parameter: the limit, e.g. '1GB' or '3.75 GiB'.
SET memory_limit = ?

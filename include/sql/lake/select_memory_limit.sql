-- The connection's DuckDB memory limit, as DuckDB shows it (e.g. '3.7 GiB'). DuckDB. No parameters.
SELECT current_setting('memory_limit')

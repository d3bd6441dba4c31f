-- PostgreSQL only: an extraction query's rows as CSV (NULL = an unquoted empty field, '' = ""), for
-- pyarrow.csv to parse column-wise (recouvra.extract). Part: query = an extract_<table>.sql, its
-- comments removed, its window bounds merged client-side by psycopg (COPY takes no parameters).
COPY (
{query}
) TO STDOUT (FORMAT csv)

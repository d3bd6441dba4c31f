-- A statement month (and every later one, which chains on it) is replaced whole. Parameter: first month.
DELETE FROM core.commission_statement
WHERE statement_month >= ?

-- Every history version of a debtor, oldest first, with one golden column's value (param:
-- debtor_id). Composed part "column": that golden-record column.
SELECT valid_from, change_source, change_ref, {column} FROM core.debtor_history
WHERE debtor_id = ? ORDER BY valid_from

-- Open a SOURCE history version for every ACTIVE debtor without a current one (params: valid_from,
-- change_ref = the build date in ISO form). Composed parts: "columns", the history columns (golden
-- columns but affiliations_count); "d_columns", the same prefixed with d.
INSERT INTO core.debtor_history (debtor_id, valid_from, valid_to, is_current,
{columns}, change_source, change_ref)
SELECT d.debtor_id, ?, NULL, true, {d_columns}, 'SOURCE', ?
FROM core.dim_debtor d WHERE d.status = 'ACTIVE' AND NOT EXISTS
(SELECT 1 FROM core.debtor_history h WHERE h.debtor_id = d.debtor_id AND h.is_current)

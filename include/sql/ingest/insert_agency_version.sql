-- Open the debtor's new current history version from its golden record, as an AGENCY change
-- (params: valid_from, change_ref = '<agency>:<record id>', debtor_id). Composed part "columns": the
-- history columns (recouvra.ingest.master.HISTORY_COLUMNS).
INSERT INTO core.debtor_history (debtor_id, valid_from, valid_to, is_current, {columns},
change_source, change_ref) SELECT debtor_id, ?, NULL, true, {columns}, 'AGENCY', ?
FROM core.dim_debtor WHERE debtor_id = ?

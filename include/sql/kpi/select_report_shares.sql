-- How each month's dossiers were shared among agencies, up to the report month: the rule of each
-- monthly selection (run 1; a top-up shares by capacity left) and its per-agency JSON (weight, share,
-- target, dossiers, recovery rate used). Parameter: month (first day, inclusive).
SELECT selection_month, share_rule, agency_shares
FROM core.selection_run
WHERE selection_month <= CAST(? AS DATE) AND selection_seq = 1
ORDER BY selection_month

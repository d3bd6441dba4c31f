-- The likelihood model of each selection run up to a month (its source, PRIOR or CALIBRATED, and the
-- months of results it was fitted on). Parameter: month (first day, inclusive).
SELECT selection_month, selection_seq, likelihood_source, results_months
FROM core.selection_run
WHERE selection_month <= CAST(? AS DATE)
ORDER BY selection_month, selection_seq

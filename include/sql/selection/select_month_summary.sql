-- A frozen run as recorded: its portfolio date and seed, and the dossiers it created (those of the month
-- with its assignment_start). Parameters: month, selection_seq.
SELECT r.as_of_date, r.seed,
       (SELECT count(*) FROM core.dossier AS d
        WHERE d.assignment_month = r.selection_month AND d.assignment_start = r.assignment_start),
       (SELECT coalesce(sum(total_due), 0) FROM core.dossier AS d
        WHERE d.assignment_month = r.selection_month AND d.assignment_start = r.assignment_start),
       r.assignment_start, r.dossiers_target
FROM core.selection_run AS r
WHERE r.selection_month = ?
  AND r.selection_seq = ?

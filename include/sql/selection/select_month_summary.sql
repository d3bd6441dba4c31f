-- A frozen month as recorded: its run and its dossiers. Parameter: month (twice).
SELECT r.as_of_date, r.seed,
       (SELECT count(*) FROM core.dossier AS d WHERE d.assignment_month = r.selection_month),
       (SELECT coalesce(sum(total_due), 0) FROM core.dossier AS d WHERE d.assignment_month = r.selection_month)
FROM core.selection_run AS r
WHERE r.selection_month = ?

-- Detail rows (unpaid month and kind) of the dossiers of a month, with the run that created each dossier
-- (as select_assignment_rows.sql). Parameter: assignment_month.
SELECT p.dossier_id, d.agency_code, p.period, p.kind, p.amount_due, coalesce(s.selection_seq, 1)
FROM core.dossier_period AS p
JOIN core.dossier AS d ON d.dossier_id = p.dossier_id
LEFT JOIN core.selection_run AS s
    ON s.selection_month = d.assignment_month
   AND s.assignment_start = d.assignment_start
WHERE d.assignment_month = ?

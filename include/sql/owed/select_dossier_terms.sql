-- Every dossier with what attribution and commission need: window, recall, portfolio date of its
-- selection (NULL when no selection run is recorded), rate and cap. Parameter: a day; only dossiers
-- whose window has begun by then. extended_to: the last day an accepted objection to its recall notice
-- set (core.agency_objection), NULL without one.
SELECT
    d.dossier_id,
    d.agency_code,
    d.debtor_id,
    d.affiliation_no,
    d.assignment_month,
    d.assignment_start,
    d.assignment_end,
    d.commission_rate,
    d.commission_cap,
    d.total_due,
    d.status,
    d.status_date,
    r.recall_date,
    r.recalled_amount,
    s.as_of_date,
    (SELECT max(o.extended_to) FROM core.agency_objection AS o
     WHERE o.dossier_id = d.dossier_id AND o.agency_code = d.agency_code) AS extended_to
FROM core.dossier AS d
LEFT JOIN core.dossier_recall AS r ON r.dossier_id = d.dossier_id
LEFT JOIN core.selection_run AS s  -- the run that created it: its month's run with its assignment_start
       ON s.selection_month = d.assignment_month AND s.assignment_start = d.assignment_start
WHERE d.assignment_start <= ?
ORDER BY d.dossier_id

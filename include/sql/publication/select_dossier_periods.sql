-- Detail rows (unpaid month and kind) of the dossiers of a month. Parameter: assignment_month.
SELECT p.dossier_id, d.agency_code, p.period, p.kind, p.amount_due
FROM core.dossier_period AS p
JOIN core.dossier AS d ON d.dossier_id = p.dossier_id
WHERE d.assignment_month = ?

-- Every placement of a debtor before a date, with its outcome (the recall reason, else the
-- dossier's status) (param: as_of).
SELECT d.debtor_id, d.assignment_month, d.dossier_id, coalesce(r.reason, d.status)
FROM core.dossier d LEFT JOIN core.dossier_recall r USING (dossier_id)
WHERE d.assignment_month < ?

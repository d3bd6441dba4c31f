-- A month's dossiers as they stand (re-run check and created_at kept on re-run). Parameter: month.
SELECT d.dossier_id, d.debtor_id, d.status, d.created_at,
       (SELECT count(*) FROM core.dossier_recall AS r WHERE r.dossier_id = d.dossier_id) AS recalls
FROM core.dossier AS d
WHERE d.assignment_month = ?
ORDER BY d.dossier_id

-- Every dossier of a month with what its top-up needs: the debtor it placed (and its affiliation number,
-- to follow the debtor through merges), the agency, the run that created it (its assignment_start),
-- whether the agency holds it yet, and its creation time (kept on a re-run). Parameter: month.
SELECT d.dossier_id, d.debtor_id, d.affiliation_no, d.agency_code, d.assignment_start, d.status,
       d.created_at,
       (SELECT count(*) FROM core.dossier_recall AS r WHERE r.dossier_id = d.dossier_id) AS recalls
FROM core.dossier AS d
WHERE d.assignment_month = ?
ORDER BY d.dossier_id

-- Dossiers with their agency on a day, never recalled, whose window holds the day: those new unpaid months
-- may be added to (recouvra.selection.additions). Parameters: the day, the day.
SELECT d.dossier_id, d.debtor_id, d.affiliation_no, d.agency_code, d.newest_period
FROM core.dossier AS d
LEFT JOIN core.dossier_recall AS r ON r.dossier_id = d.dossier_id
WHERE d.status = 'PUBLISHED'
  AND r.dossier_id IS NULL
  AND d.assignment_start <= ?
  AND d.assignment_end >= ?
ORDER BY d.dossier_id

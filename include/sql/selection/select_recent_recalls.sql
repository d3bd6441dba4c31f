-- Dossiers of other months recalled on or after a date: their debtors are in the cooling-off period.
-- Parameters: month, first recall date still cooling off.
SELECT d.dossier_id, d.debtor_id, d.affiliation_no
FROM core.dossier_recall AS r
JOIN core.dossier AS d ON d.dossier_id = r.dossier_id
WHERE d.assignment_month <> ?
  AND r.recall_date >= ?

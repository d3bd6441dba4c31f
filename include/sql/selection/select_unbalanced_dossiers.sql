-- Dossiers of a month whose total_due is not the sum of their periods (must be none).
-- Parameter: month.
SELECT d.dossier_id
FROM core.dossier AS d
LEFT JOIN (SELECT dossier_id, sum(amount_due) AS s FROM core.dossier_period GROUP BY dossier_id) AS p
       ON p.dossier_id = d.dossier_id
WHERE d.assignment_month = ?
  AND (p.s IS NULL OR p.s <> d.total_due)

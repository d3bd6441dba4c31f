-- Dossiers with their agency on a day: published (RECALLED ones were published first), window begun
-- and not ended, no recall decided by then. As of the day, not as of now: a dossier recalled since is
-- still the agency's on a day before the decision, so a re-run of that day writes the same file.
-- With the portfolio date of the selection that created each (what the assignment told the agency).
-- Parameters: day, day, day.
SELECT d.dossier_id, d.agency_code, d.debtor_id, d.affiliation_no, d.assignment_start,
       coalesce(s.as_of_date, CAST(d.assignment_start - INTERVAL '1 day' AS DATE)) AS told_as_of
FROM core.dossier AS d
LEFT JOIN core.selection_run AS s
       ON s.selection_month = d.assignment_month AND s.assignment_start = d.assignment_start
WHERE d.status IN ('PUBLISHED', 'RECALLED')
  AND d.assignment_start <= CAST(? AS DATE)
  AND d.assignment_end >= CAST(? AS DATE)
  AND NOT EXISTS (SELECT 1 FROM core.dossier_recall AS r
                  WHERE r.dossier_id = d.dossier_id AND coalesce(r.decided_on, r.recall_date) <= CAST(? AS DATE))
ORDER BY d.dossier_id

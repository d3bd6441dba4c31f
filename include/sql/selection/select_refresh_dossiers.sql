-- Dossiers with their agency (PUBLISHED, never recalled) whose window has begun, with the portfolio date
-- their selection run read (the month's selection or its top-up) (events after it are new). A dossier ALLOCATED but not yet published is not the
-- agency's: it is never recalled (docs/selection.md, "Lifecycle"). Parameter: refresh date.
SELECT d.dossier_id, d.debtor_id, d.assignment_start, d.assignment_end,
       coalesce(r.as_of_date, d.assignment_start) AS selected_on, d.agency_code
FROM core.dossier AS d
LEFT JOIN core.selection_run AS r  -- the run that created it: its month's run with its assignment_start
       ON r.selection_month = d.assignment_month AND r.assignment_start = d.assignment_start
WHERE d.status = 'PUBLISHED'
  AND d.assignment_start <= ?
  AND NOT EXISTS (SELECT 1 FROM core.dossier_recall AS x WHERE x.dossier_id = d.dossier_id)
ORDER BY d.dossier_id

-- Every dossier the fund told an agency about (all but ALLOCATED), with its assignment window,
-- total_due as assigned and its recall date when recalled; no parameters. The ingestion's context.
SELECT d.dossier_id, d.agency_code, d.assignment_start, d.assignment_end, d.total_due,
r.recall_date FROM core.dossier d LEFT JOIN core.dossier_recall r USING (dossier_id)
WHERE d.status <> 'ALLOCATED'

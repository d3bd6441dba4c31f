-- Every dossier the fund told an agency about (all but ALLOCATED), with its assignment window (its
-- last day moved by an accepted objection to its recall notice, core.agency_objection), total_due as
-- assigned and its recall date when recalled; no parameters. The ingestion's context.
SELECT d.dossier_id, d.agency_code, d.assignment_start,
greatest(d.assignment_end, coalesce((SELECT max(o.extended_to) FROM core.agency_objection AS o
                                     WHERE o.dossier_id = d.dossier_id AND o.agency_code = d.agency_code),
                                    d.assignment_end)) AS assignment_end,
d.total_due, r.recall_date
FROM core.dossier d LEFT JOIN core.dossier_recall r USING (dossier_id)
WHERE d.status <> 'ALLOCATED'

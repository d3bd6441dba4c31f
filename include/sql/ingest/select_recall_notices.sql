-- Each dossier's recall notice still open to an objection (the first notice: the one with a deadline)
-- and the objection accepted for it, if any; no parameters. The ingestion's context for OBJECTIONS.
SELECT n.dossier_id, n.intended_recall_date, n.objection_deadline, n.owed_amount, o.extended_to,
o.objection_id
FROM core.recall_notice AS n
LEFT JOIN core.agency_objection AS o ON o.dossier_id = n.dossier_id AND o.agency_code = n.agency_code
WHERE n.objection_deadline IS NOT NULL
ORDER BY n.dossier_id

-- Each of some dossiers' recall notices (intended dates) and the recall date an accepted objection set.
-- Parameter: list of dossier_id. One row per notice; extended_to NULL without an accepted objection.
SELECT n.dossier_id, n.intended_recall_date, o.extended_to
FROM core.recall_notice AS n
LEFT JOIN core.agency_objection AS o ON o.dossier_id = n.dossier_id AND o.agency_code = n.agency_code
WHERE n.dossier_id IN (SELECT unnest(CAST(? AS VARCHAR[])))
ORDER BY n.dossier_id, n.intended_recall_date

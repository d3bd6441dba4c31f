-- First plan request an agency reported for each of some dossiers. Parameter: list of dossier_id.
SELECT dossier_id, min(request_date)
FROM core.agency_plan
WHERE dossier_id IN (SELECT unnest(CAST(? AS VARCHAR[])))
GROUP BY dossier_id

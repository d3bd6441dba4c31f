-- Dossiers of an agency still ALLOCATED among some ids. Parameters: agency_code, list of dossier_id.
SELECT count(*) FROM core.dossier
WHERE status = 'ALLOCATED' AND agency_code = ? AND dossier_id IN (SELECT unnest(CAST(? AS VARCHAR[])))

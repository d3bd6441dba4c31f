-- Recalls not yet told among some dossiers. Parameter: list of dossier_id.
SELECT count(*) FROM core.dossier_recall
WHERE file_name IS NULL AND dossier_id IN (SELECT unnest(CAST(? AS VARCHAR[])))

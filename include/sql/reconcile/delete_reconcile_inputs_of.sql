-- Remove the stored inputs of some dossiers before they are written again. Parameter: dossier ids.
DELETE FROM core.reconcile_input
WHERE dossier_id IN (SELECT unnest(CAST(? AS VARCHAR[])))

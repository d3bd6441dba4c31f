-- What the last reconciliation read about each dossier: its group and the digest of its inputs
-- (recouvra.reconcile_increment).
SELECT dossier_id, group_id, digest
FROM core.reconcile_input
ORDER BY dossier_id

-- The debtor of each given dossier (params: the dossier_ids; composed part "marks": one placeholder
-- per dossier_id).
SELECT dossier_id, debtor_id FROM core.dossier WHERE dossier_id IN ({marks})

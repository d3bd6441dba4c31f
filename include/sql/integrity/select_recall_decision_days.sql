-- The day each recall was decided: the first lifecycle refresh on or after its recall date
-- (core.lifecycle_run); the recall date itself for recalls decided before that table existed.
-- The RECALLED rule compares recalled_amount with the ledger as that day knew it. No parameter.
SELECT r.dossier_id,
       COALESCE((SELECT min(l.run_on) FROM core.lifecycle_run AS l WHERE l.run_on >= r.recall_date),
                r.recall_date) AS decided_on
FROM core.dossier_recall AS r

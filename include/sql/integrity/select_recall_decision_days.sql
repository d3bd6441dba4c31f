-- The day each recall was decided (decided_on, V023; filled there for older recalls from the first
-- lifecycle refresh on or after the recall date, else the recall date).
-- The RECALLED rule compares recalled_amount with the ledger as that day knew it. No parameter.
SELECT r.dossier_id,
       r.decided_on
FROM core.dossier_recall AS r

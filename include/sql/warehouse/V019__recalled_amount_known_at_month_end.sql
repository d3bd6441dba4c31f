-- Time-correct months: a dossier's recalled_amount in the marts is the rest of what was assigned, as
-- the ledger is known at the month end (include/sql/kpi/insert_fact_dossier_month.sql). A payment dated
-- by the recall but recorded after it is recovered, not recalled; core.dossier_recall keeps what was
-- known on the recall's day. Only the column's description changes.
COMMENT ON COLUMN marts.fact_dossier_month.recalled_amount IS 'If recalled by the month end: what was assigned less what was recovered, as the ledger is known at the month end (MAD); core.dossier_recall.recalled_amount is what was known on the recall''s day.';

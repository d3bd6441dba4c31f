-- Add the loaded golden records of new debtors to core.dim_debtor, ACTIVE (params: created_at,
-- updated_at). Composed part "columns": the golden-record columns.
INSERT INTO core.dim_debtor (debtor_id, {columns}, status, created_at, updated_at)
SELECT debtor_id, {columns}, 'ACTIVE', ?, ? FROM core.load_debtor l WHERE NOT EXISTS
(SELECT 1 FROM core.dim_debtor d WHERE d.debtor_id = l.debtor_id)

-- The work table the new golden records are bulk-loaded into before they are compared with
-- core.dim_debtor; no parameters. Composed part "columns": the golden-record columns
-- (recouvra.debtor_master.GOLDEN_COLUMNS).
CREATE TABLE IF NOT EXISTS core.load_debtor AS
SELECT debtor_id, {columns} FROM core.dim_debtor WHERE 1 = 0

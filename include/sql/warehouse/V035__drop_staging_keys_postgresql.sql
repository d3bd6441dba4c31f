-- Issue 16, staging without key constraints: PostgreSQL's side of V034 (read its header: why, and how the
-- merge keeps one row per source key without them). PostgreSQL drops a constraint in place, its index
-- with it; the names are PostgreSQL's defaults (<table>_pkey), staging.ledger_payments' that of the table
-- V031 re-created under another name (ledger_payments_v030) and renamed.
ALTER TABLE staging.employers DROP CONSTRAINT employers_pkey;
ALTER TABLE staging.declarations DROP CONSTRAINT declarations_pkey;
ALTER TABLE staging.titles DROP CONSTRAINT titles_pkey;
ALTER TABLE staging.receivables DROP CONSTRAINT receivables_pkey;
ALTER TABLE staging.ledger_payments DROP CONSTRAINT ledger_payments_v030_pkey;
ALTER TABLE staging.payment_plans DROP CONSTRAINT payment_plans_pkey;
ALTER TABLE staging.plan_installments DROP CONSTRAINT plan_installments_pkey;
ALTER TABLE staging.legal_proceedings DROP CONSTRAINT legal_proceedings_pkey;
ALTER TABLE staging.disputes DROP CONSTRAINT disputes_pkey;

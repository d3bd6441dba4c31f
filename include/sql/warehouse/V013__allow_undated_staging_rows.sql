-- Stage 1: the source's updated_at may be NULL (the fund's database does not enforce it); a table's first,
-- full extraction takes such rows, so staging keeps them as they are.
ALTER TABLE staging.employers ALTER COLUMN updated_at DROP NOT NULL;
ALTER TABLE staging.declarations ALTER COLUMN updated_at DROP NOT NULL;
ALTER TABLE staging.titles ALTER COLUMN updated_at DROP NOT NULL;
ALTER TABLE staging.receivables ALTER COLUMN updated_at DROP NOT NULL;
ALTER TABLE staging.ledger_payments ALTER COLUMN updated_at DROP NOT NULL;
ALTER TABLE staging.payment_plans ALTER COLUMN updated_at DROP NOT NULL;
ALTER TABLE staging.plan_installments ALTER COLUMN updated_at DROP NOT NULL;
ALTER TABLE staging.legal_proceedings ALTER COLUMN updated_at DROP NOT NULL;
ALTER TABLE staging.disputes ALTER COLUMN updated_at DROP NOT NULL;

-- Drops the generator's tables and the source clock (a re-seed recreates them).
-- Same file for SQLite and PostgreSQL.
DROP TABLE IF EXISTS plan_installments;
DROP TABLE IF EXISTS payment_plans;
DROP TABLE IF EXISTS ledger_payments;
DROP TABLE IF EXISTS receivables;
DROP TABLE IF EXISTS titles;
DROP TABLE IF EXISTS declarations;
DROP TABLE IF EXISTS legal_proceedings;
DROP TABLE IF EXISTS disputes;
DROP TABLE IF EXISTS employers;
DROP TABLE IF EXISTS seed_runs;
DROP TABLE IF EXISTS source_clock

-- Secondary indexes of the synthetic fund database, created after the bulk load (faster than
-- maintaining them row by row). Same file for SQLite and PostgreSQL.
CREATE UNIQUE INDEX ux_declarations_employer_period ON declarations (affiliation_no, period);
CREATE INDEX ix_declarations_updated_at ON declarations (updated_at);
CREATE INDEX ix_receivables_employer_period ON receivables (affiliation_no, period);
CREATE INDEX ix_receivables_title ON receivables (title_id);
CREATE INDEX ix_receivables_updated_at ON receivables (updated_at);
CREATE INDEX ix_ledger_payments_employer_period ON ledger_payments (affiliation_no, settles_period);
CREATE INDEX ix_ledger_payments_updated_at ON ledger_payments (updated_at);
CREATE INDEX ix_titles_employer ON titles (affiliation_no);
CREATE INDEX ix_employers_updated_at ON employers (updated_at);
CREATE INDEX ix_payment_plans_employer ON payment_plans (affiliation_no);
CREATE INDEX ix_legal_proceedings_employer ON legal_proceedings (affiliation_no);
CREATE INDEX ix_disputes_employer ON disputes (affiliation_no)

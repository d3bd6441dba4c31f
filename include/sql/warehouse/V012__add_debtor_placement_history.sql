-- Stage 2: each debtor's previous placements with agencies and how the last one ended, beside its
-- portfolio features (the debtor master build fills them from core.dossier and core.dossier_recall).

ALTER TABLE core.debtor_portfolio ADD COLUMN previous_placements INTEGER;
ALTER TABLE core.debtor_portfolio ADD COLUMN last_placement_month DATE;
ALTER TABLE core.debtor_portfolio ADD COLUMN last_placement_outcome VARCHAR;
COMMENT ON COLUMN core.debtor_portfolio.previous_placements IS 'Dossiers of this debtor assigned to agencies before as_of_date.';
COMMENT ON COLUMN core.debtor_portfolio.last_placement_month IS 'Assignment month of the most recent of them.';
COMMENT ON COLUMN core.debtor_portfolio.last_placement_outcome IS 'How it ended or stands: the recall reason (PAID_IN_FULL, EXPIRED, LEGAL_PROCEEDING, ...) or the dossier status (PUBLISHED, CLOSED, ...).';

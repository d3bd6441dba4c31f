-- Stage 3 (continued): what each monthly selection ran on and why each debtor scored as it did, so
-- that a month can be audited and re-run, and the likelihood calibrated on past dossiers' results.

CREATE TABLE IF NOT EXISTS core.selection_run (
    selection_month          DATE          NOT NULL PRIMARY KEY,
    as_of_date               DATE          NOT NULL,
    seed                     BIGINT        NOT NULL,
    dossiers_target          INTEGER       NOT NULL,
    debtors_considered       INTEGER       NOT NULL,
    debtors_eligible         INTEGER       NOT NULL,
    dossiers_selected        INTEGER       NOT NULL,
    likelihood_source        VARCHAR       NOT NULL,
    likelihood_coefficients  VARCHAR       NOT NULL,
    results_months           INTEGER       NOT NULL,
    share_rule               VARCHAR       NOT NULL,
    agency_shares            VARCHAR       NOT NULL,
    balance_max_deviation    DECIMAL(9,6),
    balance_met              BOOLEAN       NOT NULL,
    balance_draws            INTEGER       NOT NULL,
    decided_at               TIMESTAMP     NOT NULL,
    CHECK (EXTRACT(DAY FROM selection_month) = 1),
    CHECK (as_of_date <= selection_month),
    CHECK (likelihood_source IN ('PRIOR', 'CALIBRATED')),
    CHECK (share_rule IN ('CAPACITY', 'RECOVERY_RATE')),
    CHECK (dossiers_selected <= dossiers_target AND debtors_eligible <= debtors_considered)
);
COMMENT ON TABLE core.selection_run IS 'One row per monthly selection: the portfolio date and seed it ran on, the likelihood model and agency shares it used, and how balanced the champion/challenger split came out (recouvra.selection, docs/selection.md).';
COMMENT ON COLUMN core.selection_run.selection_month IS 'Month of the selection (first day), as in core.selection_decision.';
COMMENT ON COLUMN core.selection_run.as_of_date IS 'core.debtor_portfolio date used: the latest on or before the month start.';
COMMENT ON COLUMN core.selection_run.seed IS 'Seed of the randomised stratified split; the same data and seed give the same dossiers.';
COMMENT ON COLUMN core.selection_run.dossiers_target IS 'programme.dossiers_per_month at the run.';
COMMENT ON COLUMN core.selection_run.debtors_considered IS 'Debtors with a row in core.selection_decision for the month.';
COMMENT ON COLUMN core.selection_run.debtors_eligible IS 'Of those, not EXCLUDED.';
COMMENT ON COLUMN core.selection_run.dossiers_selected IS 'Dossiers created (SELECTED).';
COMMENT ON COLUMN core.selection_run.likelihood_source IS 'PRIOR (configured coefficients) or CALIBRATED (fitted on past dossiers'' results).';
COMMENT ON COLUMN core.selection_run.likelihood_coefficients IS 'Coefficients of the logistic likelihood used, as JSON {feature: coefficient}.';
COMMENT ON COLUMN core.selection_run.results_months IS 'Past placement months with results available at the run (0 before any).';
COMMENT ON COLUMN core.selection_run.share_rule IS 'CAPACITY (shares by monthly capacity) or RECOVERY_RATE (shifted towards agencies recovering more).';
COMMENT ON COLUMN core.selection_run.agency_shares IS 'Per agency, as JSON: weight, share, target, dossiers allocated, recovery rate used (if any), mean score and mean total_due.';
COMMENT ON COLUMN core.selection_run.balance_max_deviation IS 'Largest relative gap between an agency''s mean score or mean total_due and the month''s mean (0.05 = 5%); NULL with no dossier.';
COMMENT ON COLUMN core.selection_run.balance_met IS 'True when balance_max_deviation is within allocation.balance_tolerance.';
COMMENT ON COLUMN core.selection_run.balance_draws IS 'Seeded draws of the split tried (the first meeting the tolerance is kept, else the most balanced).';
COMMENT ON COLUMN core.selection_run.decided_at IS 'When the selection ran (UTC).';

CREATE TABLE IF NOT EXISTS core.selection_score (
    selection_month           DATE          NOT NULL,
    debtor_id                 BIGINT        NOT NULL,
    oldest_unpaid_age_months  INTEGER,
    payments_12m              INTEGER       NOT NULL,
    broken_plans              INTEGER       NOT NULL,
    reversals                 INTEGER       NOT NULL,
    activity_status           VARCHAR       NOT NULL,
    has_phone                 BOOLEAN       NOT NULL,
    has_email                 BOOLEAN       NOT NULL,
    has_address               BOOLEAN       NOT NULL,
    title_days_left           INTEGER,
    weighted_due              DECIMAL(18,2) NOT NULL,
    likelihood                DECIMAL(9,6)  NOT NULL,
    score_band                INTEGER,
    PRIMARY KEY (selection_month, debtor_id),
    CHECK (EXTRACT(DAY FROM selection_month) = 1),
    CHECK (likelihood >= 0 AND likelihood <= 1),
    CHECK (weighted_due >= 0)
);
COMMENT ON TABLE core.selection_score IS 'The score card of every debtor of a monthly selection: the features the likelihood of recovery read, the kind-weighted amount and the likelihood, whose product is core.selection_decision.score. Past months'' cards and their dossiers'' results calibrate the likelihood.';
COMMENT ON COLUMN core.selection_score.selection_month IS 'Month of the selection (first day).';
COMMENT ON COLUMN core.selection_score.debtor_id IS 'Debtor, i.e. legal entity (core.dim_debtor).';
COMMENT ON COLUMN core.selection_score.oldest_unpaid_age_months IS 'Months from the oldest unpaid contribution month to the selection month (2026-09 in a 2026-11 selection is 2); NULL when unknown.';
COMMENT ON COLUMN core.selection_score.payments_12m IS 'Ledger payments in the 12 months before the portfolio date.';
COMMENT ON COLUMN core.selection_score.broken_plans IS 'Payment plans signed with the fund and broken.';
COMMENT ON COLUMN core.selection_score.reversals IS 'Reversed payments (bounced cheques, cancelled transfers) ever.';
COMMENT ON COLUMN core.selection_score.activity_status IS 'ACTIVE, CEASED, SUSPENDED, LIQUIDATION, INSOLVENT or UNKNOWN.';
COMMENT ON COLUMN core.selection_score.has_phone IS 'A valid E.164 Moroccan phone is known (core.dim_debtor.phone_1 or phone_2).';
COMMENT ON COLUMN core.selection_score.has_email IS 'An email address of the usual form is known.';
COMMENT ON COLUMN core.selection_score.has_address IS 'An address and a city are known.';
COMMENT ON COLUMN core.selection_score.title_days_left IS 'Days from the selection month start to the 4-year limit of the oldest unpaid title; NULL without a notified title.';
COMMENT ON COLUMN core.selection_score.weighted_due IS 'principal x weight + surcharges x weight + penalties x weight (selection.kind_weights), MAD.';
COMMENT ON COLUMN core.selection_score.likelihood IS 'Likelihood of recovery in [0, 1] from the features (logistic, prior or calibrated: core.selection_run).';
COMMENT ON COLUMN core.selection_score.score_band IS 'For a selected debtor, its score band in the month (1 = highest), a stratum of the agency split; NULL otherwise.';

COMMENT ON COLUMN core.selection_decision.reason_code IS 'Why: SELECTED has TOP_SCORE; EXCLUDED has ALREADY_PLACED, RECALL_COOLING_OFF, INSOLVENT_OR_LIQUIDATION, LEGAL_PROCEEDING, HONOURED_PLAN, DISPUTED, BELOW_MINIMUM or TITLE_NEAR_LIMIT (the first that applies, in that order); NOT_SELECTED has QUOTA (ranked below the month''s cutoff) or NO_AGENCY_CAPACITY (no agency serving its region had room).';
COMMENT ON COLUMN core.selection_decision.score IS 'Expected recoverable amount (MAD): core.selection_score.weighted_due x likelihood; eligible debtors are ranked on it (higher first).';

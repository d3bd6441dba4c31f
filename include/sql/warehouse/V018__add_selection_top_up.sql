-- Stage 3: a month whose selection placed fewer dossiers than programme.dossiers_per_month can be topped
-- up later in the same month (recouvra.selection.topup, the assignment_topup DAG): a second selection run
-- of the month (selection_seq 2) whose dossiers start on the top-up's day and go out as each agency's
-- next package of the month (<SEQ> 02 after its 01). The three selection tables are keyed by (month, selection_seq) from now on; a
-- dossier's run is the run of its month with its assignment_start. Rebuilt tables (PostgreSQL and
-- DuckDB cannot change a primary key in place): rows kept as selection_seq 1.

CREATE TABLE core.selection_run_v017 (
    selection_month          DATE          NOT NULL,
    selection_seq            INTEGER       NOT NULL DEFAULT 1,
    assignment_start         DATE          NOT NULL,
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
    PRIMARY KEY (selection_month, selection_seq),
    CHECK (EXTRACT(DAY FROM selection_month) = 1),
    CHECK (selection_seq IN (1, 2)),
    CHECK ((selection_seq = 1 AND assignment_start = selection_month)
           OR (selection_seq = 2 AND assignment_start > selection_month)),
    CHECK (as_of_date <= assignment_start),
    CHECK (likelihood_source IN ('PRIOR', 'CALIBRATED')),
    CHECK (share_rule IN ('CAPACITY', 'RECOVERY_RATE')),
    CHECK (dossiers_selected <= dossiers_target AND debtors_eligible <= debtors_considered)
);
INSERT INTO core.selection_run_v017 (selection_month, selection_seq, assignment_start, as_of_date, seed,
    dossiers_target, debtors_considered, debtors_eligible, dossiers_selected, likelihood_source,
    likelihood_coefficients, results_months, share_rule, agency_shares, balance_max_deviation, balance_met,
    balance_draws, decided_at)
SELECT selection_month, 1, selection_month, as_of_date, seed, dossiers_target, debtors_considered,
       debtors_eligible, dossiers_selected, likelihood_source, likelihood_coefficients, results_months,
       share_rule, agency_shares, balance_max_deviation, balance_met, balance_draws, decided_at
FROM core.selection_run;
DROP TABLE core.selection_run;
ALTER TABLE core.selection_run_v017 RENAME TO selection_run;

CREATE TABLE core.selection_decision_v017 (
    selection_month  DATE          NOT NULL,
    selection_seq    INTEGER       NOT NULL DEFAULT 1,
    debtor_id        BIGINT        NOT NULL,
    decision         VARCHAR       NOT NULL,
    reason_code      VARCHAR,
    segment          VARCHAR,
    region           VARCHAR,
    total_due        DECIMAL(18,2) NOT NULL,
    periods_count    INTEGER       NOT NULL,
    score            DECIMAL(12,4),
    priority_rank    INTEGER,
    decided_at       TIMESTAMP     NOT NULL,
    PRIMARY KEY (selection_month, selection_seq, debtor_id),
    CHECK (EXTRACT(DAY FROM selection_month) = 1),
    CHECK (selection_seq IN (1, 2)),
    CHECK (decision IN ('SELECTED', 'NOT_SELECTED', 'EXCLUDED')),
    CHECK (decision <> 'EXCLUDED' OR reason_code IS NOT NULL),
    CHECK (segment IS NULL OR segment IN ('FRESH', 'UNPAID_TITLE'))
);
INSERT INTO core.selection_decision_v017 (selection_month, selection_seq, debtor_id, decision, reason_code,
    segment, region, total_due, periods_count, score, priority_rank, decided_at)
SELECT selection_month, 1, debtor_id, decision, reason_code, segment, region, total_due, periods_count,
       score, priority_rank, decided_at
FROM core.selection_decision;
DROP TABLE core.selection_decision;
ALTER TABLE core.selection_decision_v017 RENAME TO selection_decision;

CREATE TABLE core.selection_score_v017 (
    selection_month           DATE          NOT NULL,
    selection_seq             INTEGER       NOT NULL DEFAULT 1,
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
    PRIMARY KEY (selection_month, selection_seq, debtor_id),
    CHECK (EXTRACT(DAY FROM selection_month) = 1),
    CHECK (selection_seq IN (1, 2)),
    CHECK (likelihood >= 0 AND likelihood <= 1),
    CHECK (weighted_due >= 0)
);
INSERT INTO core.selection_score_v017 (selection_month, selection_seq, debtor_id, oldest_unpaid_age_months,
    payments_12m, broken_plans, reversals, activity_status, has_phone, has_email, has_address,
    title_days_left, weighted_due, likelihood, score_band)
SELECT selection_month, 1, debtor_id, oldest_unpaid_age_months, payments_12m, broken_plans, reversals,
       activity_status, has_phone, has_email, has_address, title_days_left, weighted_due, likelihood,
       score_band
FROM core.selection_score;
DROP TABLE core.selection_score;
ALTER TABLE core.selection_score_v017 RENAME TO selection_score;

COMMENT ON TABLE core.selection_run IS 'One row per selection run of a placement month: the month''s selection (selection_seq 1) and, when it placed fewer dossiers than asked, its top-up later in the month (selection_seq 2); the portfolio date and seed each ran on, the likelihood model and agency shares it used, and how balanced the champion/challenger split came out (recouvra.selection, docs/selection.md).';
COMMENT ON COLUMN core.selection_run.selection_month IS 'Month of the selection (first day), as in core.selection_decision.';
COMMENT ON COLUMN core.selection_run.selection_seq IS '1 for the month''s selection, 2 for its top-up. Each agency gets one assignment package per run that gave it dossiers, numbered in run order: CNSS_ASSIGN_<AGENCY>_<YYYYMM>_01 for its first, _02 for a top-up after it.';
COMMENT ON COLUMN core.selection_run.assignment_start IS 'Day the run selected for, the assignment_start of every dossier it created: the month''s first day for the month''s selection, the top-up''s day for a top-up. A dossier''s run is the run of its month with its assignment_start.';
COMMENT ON COLUMN core.selection_run.as_of_date IS 'core.debtor_portfolio date used: the latest on or before assignment_start.';
COMMENT ON COLUMN core.selection_run.seed IS 'Seed of the randomised stratified split; the same data and seed give the same dossiers.';
COMMENT ON COLUMN core.selection_run.dossiers_target IS 'Dossiers asked of the run: programme.dossiers_per_month for the month''s selection; for a top-up, what the month''s selection left short of it.';
COMMENT ON COLUMN core.selection_run.debtors_considered IS 'Debtors with a row in core.selection_decision for the month and run.';
COMMENT ON COLUMN core.selection_run.debtors_eligible IS 'Of those, not EXCLUDED.';
COMMENT ON COLUMN core.selection_run.dossiers_selected IS 'Dossiers created (SELECTED).';
COMMENT ON COLUMN core.selection_run.likelihood_source IS 'PRIOR (configured coefficients) or CALIBRATED (fitted on past dossiers'' results).';
COMMENT ON COLUMN core.selection_run.likelihood_coefficients IS 'Coefficients of the logistic likelihood used, as JSON {feature: coefficient}.';
COMMENT ON COLUMN core.selection_run.results_months IS 'Past placement months with results available at the run (0 before any).';
COMMENT ON COLUMN core.selection_run.share_rule IS 'CAPACITY (shares by monthly capacity, or by capacity left for a top-up) or RECOVERY_RATE (shifted towards agencies recovering more).';
COMMENT ON COLUMN core.selection_run.agency_shares IS 'Per agency, as JSON: weight, share, target, dossiers allocated, recovery rate used (if any), mean score and mean total_due (a top-up: also the capacity it had left).';
COMMENT ON COLUMN core.selection_run.balance_max_deviation IS 'Largest relative gap between an agency''s mean score or mean total_due and the run''s mean (0.05 = 5%); NULL with no dossier.';
COMMENT ON COLUMN core.selection_run.balance_met IS 'True when balance_max_deviation is within allocation.balance_tolerance.';
COMMENT ON COLUMN core.selection_run.balance_draws IS 'Seeded draws of the split tried (the first meeting the tolerance is kept, else the most balanced).';
COMMENT ON COLUMN core.selection_run.decided_at IS 'When the selection ran (UTC).';

COMMENT ON TABLE core.selection_decision IS 'Every debtor with unpaid receivables considered in a selection run of a month, with the decision and its reason: the portfolio denominator of coverage KPIs (each debtor''s latest run of the month) and the audit trail of who was placed and why not. A top-up considers the debtors without a dossier of the month.';
COMMENT ON COLUMN core.selection_decision.selection_month IS 'Month of the selection (first day), the assignment month of the dossiers it creates.';
COMMENT ON COLUMN core.selection_decision.selection_seq IS 'The run of the month (core.selection_run): 1 the month''s selection, 2 its top-up.';
COMMENT ON COLUMN core.selection_decision.debtor_id IS 'Debtor, i.e. legal entity (core.dim_debtor).';
COMMENT ON COLUMN core.selection_decision.decision IS 'SELECTED (a dossier is created), NOT_SELECTED (eligible but beyond the run''s quota or capacity), EXCLUDED (not eligible).';
COMMENT ON COLUMN core.selection_decision.reason_code IS 'Why: SELECTED has TOP_SCORE; EXCLUDED has ALREADY_PLACED, RECALL_COOLING_OFF, INSOLVENT_OR_LIQUIDATION, CEASED_NO_ASSETS, LEGAL_PROCEEDING, HONOURED_PLAN, DISPUTED, BELOW_MINIMUM or TITLE_NEAR_LIMIT (the first that applies, in that order); NOT_SELECTED has QUOTA (ranked below the run''s cutoff) or NO_AGENCY_CAPACITY (no agency serving its region had room).';
COMMENT ON COLUMN core.selection_decision.segment IS 'FRESH or UNPAID_TITLE, when the receivables fit one.';
COMMENT ON COLUMN core.selection_decision.region IS 'Debtor''s region at selection time.';
COMMENT ON COLUMN core.selection_decision.total_due IS 'Eligible amount owed at selection (principal + surcharges + penalties, MAD).';
COMMENT ON COLUMN core.selection_decision.periods_count IS 'Unpaid contribution months considered.';
COMMENT ON COLUMN core.selection_decision.score IS 'Expected recoverable amount (MAD): core.selection_score.weighted_due x likelihood; eligible debtors are ranked on it (higher first).';
COMMENT ON COLUMN core.selection_decision.priority_rank IS 'Rank of an eligible debtor in the run; NULL when excluded.';
COMMENT ON COLUMN core.selection_decision.decided_at IS 'When the decision was made (UTC).';

COMMENT ON TABLE core.selection_score IS 'The score card of every debtor of a selection run: the features the likelihood of recovery read, the kind-weighted amount and the likelihood, whose product is core.selection_decision.score. Past months'' cards and their dossiers'' results calibrate the likelihood.';
COMMENT ON COLUMN core.selection_score.selection_month IS 'Month of the selection (first day).';
COMMENT ON COLUMN core.selection_score.selection_seq IS 'The run of the month (core.selection_run): 1 the month''s selection, 2 its top-up.';
COMMENT ON COLUMN core.selection_score.debtor_id IS 'Debtor, i.e. legal entity (core.dim_debtor).';
COMMENT ON COLUMN core.selection_score.oldest_unpaid_age_months IS 'Months from the oldest unpaid contribution month to the selection month (2026-09 in a 2026-11 selection is 2); NULL when unknown.';
COMMENT ON COLUMN core.selection_score.payments_12m IS 'Ledger payments in the 12 months before the portfolio date.';
COMMENT ON COLUMN core.selection_score.broken_plans IS 'Payment plans signed with the fund and broken.';
COMMENT ON COLUMN core.selection_score.reversals IS 'Reversed payments (bounced cheques, cancelled transfers) ever.';
COMMENT ON COLUMN core.selection_score.activity_status IS 'ACTIVE, CEASED, SUSPENDED, LIQUIDATION, INSOLVENT or UNKNOWN.';
COMMENT ON COLUMN core.selection_score.has_phone IS 'A valid E.164 Moroccan phone is known (core.dim_debtor.phone_1 or phone_2).';
COMMENT ON COLUMN core.selection_score.has_email IS 'An email address of the usual form is known.';
COMMENT ON COLUMN core.selection_score.has_address IS 'An address and a city are known.';
COMMENT ON COLUMN core.selection_score.title_days_left IS 'Days from the run''s assignment_start (the month start, or the top-up''s day) to the 4-year limit of the oldest unpaid title; NULL without a notified title.';
COMMENT ON COLUMN core.selection_score.weighted_due IS 'principal x weight + surcharges x weight + penalties x weight (selection.kind_weights), MAD.';
COMMENT ON COLUMN core.selection_score.likelihood IS 'Likelihood of recovery in [0, 1] from the features (logistic, prior or calibrated: core.selection_run).';
COMMENT ON COLUMN core.selection_score.score_band IS 'For a selected debtor, its score band in the run (1 = highest), a stratum of the agency split; NULL otherwise.';

COMMENT ON COLUMN marts.v_portfolio_coverage.debtors_in_portfolio IS 'Debtors considered by the month''s selection runs (core.selection_decision), each once, as its latest run of the month decided it.';
COMMENT ON COLUMN core.dim_agency.is_active IS 'False once the agency is no longer in the configuration, or retired (retired_on on or before the day of the selection run that last synced it: a month''s first day, or a top-up''s day).';

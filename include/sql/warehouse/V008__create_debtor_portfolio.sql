-- Stage 2: the portfolio features of each debtor on a date, computed from the lake by the debtor
-- master build (recouvra.debtor_master): what it owes by kind, how old, its titles and their 4-year
-- limit, its payment history, plans, proceedings and disputes. Selection reads it; BI may too.
-- One row per debtor owing something on as_of_date; a re-run of the date replaces its rows.

CREATE TABLE IF NOT EXISTS core.debtor_portfolio (
    as_of_date                DATE          NOT NULL,
    debtor_id                 BIGINT        NOT NULL,
    principal_open            DECIMAL(18,2) NOT NULL,
    surcharge_open            DECIMAL(18,2) NOT NULL,
    penalty_open              DECIMAL(18,2) NOT NULL,
    total_open                DECIMAL(18,2) NOT NULL,
    unpaid_periods            INTEGER       NOT NULL,
    oldest_unpaid_period      VARCHAR,
    newest_unpaid_period      VARCHAR,
    oldest_title_notified_on  DATE,
    title_days_left           INTEGER,
    payments_12m              INTEGER       NOT NULL,
    paid_12m                  DECIMAL(18,2) NOT NULL,
    reversals                 INTEGER       NOT NULL,
    last_payment_date         DATE,
    plans                     INTEGER       NOT NULL,
    broken_plans              INTEGER       NOT NULL,
    active_plans              INTEGER       NOT NULL,
    honoured_plans            INTEGER       NOT NULL,
    in_legal_proceeding       BOOLEAN       NOT NULL,
    in_insolvency             BOOLEAN       NOT NULL,
    open_disputes             INTEGER       NOT NULL,
    activity_status           VARCHAR       NOT NULL,
    region                    VARCHAR,
    affiliations_count        INTEGER       NOT NULL,
    PRIMARY KEY (as_of_date, debtor_id),
    CHECK (total_open = principal_open + surcharge_open + penalty_open),
    CHECK (principal_open >= 0 AND surcharge_open >= 0 AND penalty_open >= 0)
);
COMMENT ON TABLE core.debtor_portfolio IS 'Portfolio features of each debtor owing something on a date (one row per debtor and as_of_date), summed over its affiliation numbers; the input of the monthly selection.';
COMMENT ON COLUMN core.debtor_portfolio.as_of_date IS 'Date the features are stated at (the debtor master build date).';
COMMENT ON COLUMN core.debtor_portfolio.debtor_id IS 'The debtor (core.dim_debtor).';
COMMENT ON COLUMN core.debtor_portfolio.principal_open IS 'Unpaid principal contributions, MAD (ledger payments settle principal first, then surcharges, then penalties).';
COMMENT ON COLUMN core.debtor_portfolio.surcharge_open IS 'Unpaid late-payment surcharges, MAD.';
COMMENT ON COLUMN core.debtor_portfolio.penalty_open IS 'Unpaid penalties and fees, MAD.';
COMMENT ON COLUMN core.debtor_portfolio.total_open IS 'principal_open + surcharge_open + penalty_open, MAD.';
COMMENT ON COLUMN core.debtor_portfolio.unpaid_periods IS 'Contribution months with something still unpaid (summed over affiliation numbers).';
COMMENT ON COLUMN core.debtor_portfolio.oldest_unpaid_period IS 'Oldest month with something unpaid, YYYY-MM.';
COMMENT ON COLUMN core.debtor_portfolio.newest_unpaid_period IS 'Newest month with something unpaid, YYYY-MM.';
COMMENT ON COLUMN core.debtor_portfolio.oldest_title_notified_on IS 'Notification date of the oldest still-unpaid title (recoverable for 4 years from it).';
COMMENT ON COLUMN core.debtor_portfolio.title_days_left IS 'Days left until that title reaches its recovery limit (negative when past it).';
COMMENT ON COLUMN core.debtor_portfolio.payments_12m IS 'Ledger payments in the 12 months before as_of_date.';
COMMENT ON COLUMN core.debtor_portfolio.paid_12m IS 'Net amount paid in those 12 months (reversals deducted), MAD.';
COMMENT ON COLUMN core.debtor_portfolio.reversals IS 'Reversed payments (bounced cheques, cancelled transfers) ever.';
COMMENT ON COLUMN core.debtor_portfolio.last_payment_date IS 'Date of the last ledger payment.';
COMMENT ON COLUMN core.debtor_portfolio.plans IS 'Payment plans signed with the fund.';
COMMENT ON COLUMN core.debtor_portfolio.broken_plans IS 'Of which broken.';
COMMENT ON COLUMN core.debtor_portfolio.active_plans IS 'Of which active (being honoured) on as_of_date.';
COMMENT ON COLUMN core.debtor_portfolio.honoured_plans IS 'Of which honoured to the end.';
COMMENT ON COLUMN core.debtor_portfolio.in_legal_proceeding IS 'A legal proceeding is open on as_of_date.';
COMMENT ON COLUMN core.debtor_portfolio.in_insolvency IS 'An open receivership or liquidation.';
COMMENT ON COLUMN core.debtor_portfolio.open_disputes IS 'Disputes of the claim still open.';
COMMENT ON COLUMN core.debtor_portfolio.activity_status IS 'The debtor''s activity status (as core.dim_debtor).';
COMMENT ON COLUMN core.debtor_portfolio.region IS 'Region of the debtor''s address.';
COMMENT ON COLUMN core.debtor_portfolio.affiliations_count IS 'Affiliation numbers of the debtor.';

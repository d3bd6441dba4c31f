-- Stage 6 (continued): KPI history and the stable views BI users read (docs/kpi.md).
-- marts.kpi_cohort_month keeps each cohort's outcomes as of every month loaded (marts.kpi_cohort_outcome
-- holds only the latest month's copy); marts.kpi_agency_league rolls them up per agency.
-- The v_* views are the contract with BI tools: their names and columns stay stable when the tables
-- behind them change. Rates are fractions stored as DECIMAL(9,6), computed exactly (half-up) by
-- recouvra.kpi from the numerators and denominators stored beside them; roll-ups re-divide sums.

CREATE TABLE IF NOT EXISTS marts.kpi_cohort_month (
    as_of_month                   DATE NOT NULL,
    agency_code                   VARCHAR NOT NULL,
    placement_month               DATE NOT NULL,
    segment                       VARCHAR NOT NULL,
    region                        VARCHAR NOT NULL,
    as_of_date                    DATE NOT NULL,
    dossiers_count                INTEGER NOT NULL,
    assigned_amount               DECIMAL(18,2) NOT NULL,
    recovered_30d                 DECIMAL(18,2),
    recovered_60d                 DECIMAL(18,2),
    recovered_90d                 DECIMAL(18,2),
    recovered_to_date             DECIMAL(18,2) NOT NULL,
    recovery_rate_30d             DECIMAL(9,6),
    recovery_rate_60d             DECIMAL(9,6),
    recovery_rate_90d             DECIMAL(9,6),
    recovery_rate                 DECIMAL(9,6),
    dossiers_worked               INTEGER NOT NULL,
    dossiers_right_party_contact  INTEGER NOT NULL,
    right_party_contact_rate      DECIMAL(9,6),
    dossiers_committed            INTEGER NOT NULL,
    promises_count                INTEGER NOT NULL,
    promises_kept                 INTEGER NOT NULL,
    promise_kept_rate             DECIMAL(9,6),
    plans_requested               INTEGER NOT NULL,
    plans_signed                  INTEGER NOT NULL,
    plan_activation_rate          DECIMAL(9,6),
    plans_started                 INTEGER NOT NULL,
    plans_kept                    INTEGER NOT NULL,
    plan_kept_rate                DECIMAL(9,6),
    dossiers_located              INTEGER NOT NULL,
    located_rate                  DECIMAL(9,6),
    dossiers_assets_found         INTEGER NOT NULL,
    assets_found_rate             DECIMAL(9,6),
    dossiers_data_updated         INTEGER NOT NULL,
    data_update_rate              DECIMAL(9,6),
    dossiers_paying               INTEGER NOT NULL,
    dossiers_paid_in_full         INTEGER NOT NULL,
    open_amount                   DECIMAL(18,2) NOT NULL,
    commission_to_date            DECIMAL(18,2) NOT NULL,
    cost_to_collect               DECIMAL(9,6),
    computed_at                   TIMESTAMP NOT NULL,
    PRIMARY KEY (as_of_month, agency_code, placement_month, segment, region),
    CHECK (EXTRACT(DAY FROM as_of_month) = 1),
    CHECK (EXTRACT(DAY FROM placement_month) = 1),
    CHECK (placement_month <= as_of_month)
);
COMMENT ON TABLE marts.kpi_cohort_month IS 'Outcomes of each placement cohort (agency x placement month x segment x region) as of the end of every month loaded: recovery within 30/60/90 days and to date, right-party contact, promises kept, plans, debtors located, assets found, data updated, cost to collect. Numerators and denominators beside every rate.';
COMMENT ON COLUMN marts.kpi_cohort_month.as_of_month IS 'Month whose end the outcomes are stated at (first day); events and attributions known by then are counted.';
COMMENT ON COLUMN marts.kpi_cohort_month.agency_code IS 'Agency code, e.g. AG01 (core.dim_agency).';
COMMENT ON COLUMN marts.kpi_cohort_month.placement_month IS 'Assignment month of the dossiers (first day): the vintage.';
COMMENT ON COLUMN marts.kpi_cohort_month.segment IS 'FRESH or UNPAID_TITLE.';
COMMENT ON COLUMN marts.kpi_cohort_month.region IS 'Region of the dossier, UNKNOWN when none.';
COMMENT ON COLUMN marts.kpi_cohort_month.as_of_date IS 'Last day of as_of_month: date up to which events were counted.';
COMMENT ON COLUMN marts.kpi_cohort_month.dossiers_count IS 'Dossiers of the cohort.';
COMMENT ON COLUMN marts.kpi_cohort_month.assigned_amount IS 'Sum of total_due of the cohort (MAD).';
COMMENT ON COLUMN marts.kpi_cohort_month.recovered_30d IS 'Attributed on payments dated at most 30 days after assignment_start, net of reversals (MAD); NULL until as_of_date reaches assignment_start + 30 for every dossier of the cohort.';
COMMENT ON COLUMN marts.kpi_cohort_month.recovered_60d IS 'As recovered_30d, within 60 days.';
COMMENT ON COLUMN marts.kpi_cohort_month.recovered_90d IS 'As recovered_30d, within 90 days.';
COMMENT ON COLUMN marts.kpi_cohort_month.recovered_to_date IS 'Attributed in statement months up to as_of_month, net of reversals (MAD).';
COMMENT ON COLUMN marts.kpi_cohort_month.recovery_rate_30d IS 'recovered_30d / assigned_amount.';
COMMENT ON COLUMN marts.kpi_cohort_month.recovery_rate_60d IS 'recovered_60d / assigned_amount.';
COMMENT ON COLUMN marts.kpi_cohort_month.recovery_rate_90d IS 'recovered_90d / assigned_amount.';
COMMENT ON COLUMN marts.kpi_cohort_month.recovery_rate IS 'recovered_to_date / assigned_amount.';
COMMENT ON COLUMN marts.kpi_cohort_month.dossiers_worked IS 'Dossiers with at least one accepted action dated by as_of_date.';
COMMENT ON COLUMN marts.kpi_cohort_month.dossiers_right_party_contact IS 'Dossiers with at least one action reaching the debtor (RIGHT_PARTY_CONTACT, PROMISE_TO_PAY, REFUSAL or DISPUTE).';
COMMENT ON COLUMN marts.kpi_cohort_month.right_party_contact_rate IS 'dossiers_right_party_contact / dossiers_worked.';
COMMENT ON COLUMN marts.kpi_cohort_month.dossiers_committed IS 'Dossiers with a PROMISE_TO_PAY action or an instalment plan (requested or signed).';
COMMENT ON COLUMN marts.kpi_cohort_month.promises_count IS 'PROMISE_TO_PAY actions whose promise_date plus the grace days has passed by as_of_date.';
COMMENT ON COLUMN marts.kpi_cohort_month.promises_kept IS 'Of those, promises met by payments attributed to the dossier, dated from the action date to promise_date plus the grace days, summing to at least promise_amount.';
COMMENT ON COLUMN marts.kpi_cohort_month.promise_kept_rate IS 'promises_kept / promises_count.';
COMMENT ON COLUMN marts.kpi_cohort_month.plans_requested IS 'Distinct plans received by as_of_date (as REQUESTED or directly SIGNED).';
COMMENT ON COLUMN marts.kpi_cohort_month.plans_signed IS 'Of those, plans received as SIGNED by as_of_date.';
COMMENT ON COLUMN marts.kpi_cohort_month.plan_activation_rate IS 'plans_signed / plans_requested.';
COMMENT ON COLUMN marts.kpi_cohort_month.plans_started IS 'Signed plans whose first instalment has fallen due by as_of_date (equal monthly instalments from first_due_date): denominator of plan_kept_rate.';
COMMENT ON COLUMN marts.kpi_cohort_month.plans_kept IS 'Of those, plans whose payments attributed since request_date cover the instalments due: paid x installments >= total_amount x instalments due.';
COMMENT ON COLUMN marts.kpi_cohort_month.plan_kept_rate IS 'plans_kept / plans_started.';
COMMENT ON COLUMN marts.kpi_cohort_month.dossiers_located IS 'Dossiers whose debtor was reached (right-party contact) or had an ADDRESS, CITY, PHONE or EMAIL contact update from the agency.';
COMMENT ON COLUMN marts.kpi_cohort_month.located_rate IS 'dossiers_located / dossiers_count.';
COMMENT ON COLUMN marts.kpi_cohort_month.dossiers_assets_found IS 'Dossiers with an ASSETS_FOUND action or an ASSET contact update.';
COMMENT ON COLUMN marts.kpi_cohort_month.assets_found_rate IS 'dossiers_assets_found / dossiers_count.';
COMMENT ON COLUMN marts.kpi_cohort_month.dossiers_data_updated IS 'Dossiers with at least one contact update applied to the debtor master (apply_status APPLIED).';
COMMENT ON COLUMN marts.kpi_cohort_month.data_update_rate IS 'dossiers_data_updated / dossiers_count.';
COMMENT ON COLUMN marts.kpi_cohort_month.dossiers_paying IS 'Dossiers with a positive amount recovered to date.';
COMMENT ON COLUMN marts.kpi_cohort_month.dossiers_paid_in_full IS 'Dossiers whose amount recovered to date reaches their assigned amount.';
COMMENT ON COLUMN marts.kpi_cohort_month.open_amount IS 'Assigned amount still owed and still with the agency at the end of as_of_month (MAD).';
COMMENT ON COLUMN marts.kpi_cohort_month.commission_to_date IS 'Commission paid to date on the cohort, after the cap, from the latest statement up to as_of_month (MAD).';
COMMENT ON COLUMN marts.kpi_cohort_month.cost_to_collect IS 'commission_to_date / recovered_to_date.';
COMMENT ON COLUMN marts.kpi_cohort_month.computed_at IS 'When the row was computed (UTC).';

CREATE TABLE IF NOT EXISTS marts.kpi_agency_league (
    as_of_month                   DATE NOT NULL,
    agency_code                   VARCHAR NOT NULL,
    league_rank                   INTEGER NOT NULL,
    dossiers_count                INTEGER NOT NULL,
    assigned_amount               DECIMAL(18,2) NOT NULL,
    recovered_to_date             DECIMAL(18,2) NOT NULL,
    recovery_rate                 DECIMAL(9,6),
    assigned_90d                  DECIMAL(18,2) NOT NULL,
    recovered_90d                 DECIMAL(18,2),
    recovery_rate_90d             DECIMAL(9,6),
    open_amount                   DECIMAL(18,2) NOT NULL,
    commission_to_date            DECIMAL(18,2) NOT NULL,
    cost_to_collect               DECIMAL(9,6),
    dossiers_worked               INTEGER NOT NULL,
    dossiers_right_party_contact  INTEGER NOT NULL,
    right_party_contact_rate      DECIMAL(9,6),
    dossiers_committed            INTEGER NOT NULL,
    promises_count                INTEGER NOT NULL,
    promises_kept                 INTEGER NOT NULL,
    promise_kept_rate             DECIMAL(9,6),
    plans_requested               INTEGER NOT NULL,
    plans_signed                  INTEGER NOT NULL,
    plan_activation_rate          DECIMAL(9,6),
    plans_started                 INTEGER NOT NULL,
    plans_kept                    INTEGER NOT NULL,
    plan_kept_rate                DECIMAL(9,6),
    dossiers_located              INTEGER NOT NULL,
    located_rate                  DECIMAL(9,6),
    dossiers_assets_found         INTEGER NOT NULL,
    assets_found_rate             DECIMAL(9,6),
    dossiers_data_updated         INTEGER NOT NULL,
    data_update_rate              DECIMAL(9,6),
    dossiers_paying               INTEGER NOT NULL,
    dossiers_paid_in_full         INTEGER NOT NULL,
    computed_at                   TIMESTAMP NOT NULL,
    PRIMARY KEY (as_of_month, agency_code),
    CHECK (EXTRACT(DAY FROM as_of_month) = 1),
    CHECK (league_rank >= 1)
);
COMMENT ON TABLE marts.kpi_agency_league IS 'League of agencies as of the end of each month: kpi_cohort_month summed over every vintage, segment and region of the agency, rates recomputed from the sums, ranked by recovery rate.';
COMMENT ON COLUMN marts.kpi_agency_league.as_of_month IS 'Month whose end the league is stated at (first day).';
COMMENT ON COLUMN marts.kpi_agency_league.agency_code IS 'Agency code, e.g. AG01 (core.dim_agency).';
COMMENT ON COLUMN marts.kpi_agency_league.league_rank IS 'Rank by recovery_rate (1 = highest; ties and agencies without a rate ranked by agency_code).';
COMMENT ON COLUMN marts.kpi_agency_league.dossiers_count IS 'Dossiers placed with the agency up to as_of_month (all vintages).';
COMMENT ON COLUMN marts.kpi_agency_league.assigned_amount IS 'Sum of total_due of those dossiers (MAD).';
COMMENT ON COLUMN marts.kpi_agency_league.recovered_to_date IS 'Attributed in statement months up to as_of_month, net of reversals (MAD).';
COMMENT ON COLUMN marts.kpi_agency_league.recovery_rate IS 'recovered_to_date / assigned_amount.';
COMMENT ON COLUMN marts.kpi_agency_league.assigned_90d IS 'Assigned amount of the cohorts whose 90 days have all passed by as_of_date (MAD): denominator of recovery_rate_90d.';
COMMENT ON COLUMN marts.kpi_agency_league.recovered_90d IS 'Attributed within 90 days of placement on the vintages whose 90 days have all passed (MAD); cohorts not yet at 90 days are left out of both recovered_90d and assigned_90d.';
COMMENT ON COLUMN marts.kpi_agency_league.recovery_rate_90d IS 'recovered_90d / assigned_90d.';
COMMENT ON COLUMN marts.kpi_agency_league.open_amount IS 'Assigned amount still owed and still with the agency at the end of as_of_month (MAD).';
COMMENT ON COLUMN marts.kpi_agency_league.commission_to_date IS 'Commission paid to date on the cohort, after the cap, from the latest statement up to as_of_month (MAD).';
COMMENT ON COLUMN marts.kpi_agency_league.cost_to_collect IS 'commission_to_date / recovered_to_date.';
COMMENT ON COLUMN marts.kpi_agency_league.dossiers_worked IS 'Dossiers with at least one accepted action dated by as_of_date.';
COMMENT ON COLUMN marts.kpi_agency_league.dossiers_right_party_contact IS 'Dossiers with at least one action reaching the debtor (RIGHT_PARTY_CONTACT, PROMISE_TO_PAY, REFUSAL or DISPUTE).';
COMMENT ON COLUMN marts.kpi_agency_league.right_party_contact_rate IS 'dossiers_right_party_contact / dossiers_worked.';
COMMENT ON COLUMN marts.kpi_agency_league.dossiers_committed IS 'Dossiers with a PROMISE_TO_PAY action or an instalment plan (requested or signed).';
COMMENT ON COLUMN marts.kpi_agency_league.promises_count IS 'PROMISE_TO_PAY actions whose promise_date plus the grace days has passed by as_of_date.';
COMMENT ON COLUMN marts.kpi_agency_league.promises_kept IS 'Of those, promises met by payments attributed to the dossier, dated from the action date to promise_date plus the grace days, summing to at least promise_amount.';
COMMENT ON COLUMN marts.kpi_agency_league.promise_kept_rate IS 'promises_kept / promises_count.';
COMMENT ON COLUMN marts.kpi_agency_league.plans_requested IS 'Distinct plans received by as_of_date (as REQUESTED or directly SIGNED).';
COMMENT ON COLUMN marts.kpi_agency_league.plans_signed IS 'Of those, plans received as SIGNED by as_of_date.';
COMMENT ON COLUMN marts.kpi_agency_league.plan_activation_rate IS 'plans_signed / plans_requested.';
COMMENT ON COLUMN marts.kpi_agency_league.plans_started IS 'Signed plans whose first instalment has fallen due by as_of_date (equal monthly instalments from first_due_date): denominator of plan_kept_rate.';
COMMENT ON COLUMN marts.kpi_agency_league.plans_kept IS 'Of those, plans whose payments attributed since request_date cover the instalments due: paid x installments >= total_amount x instalments due.';
COMMENT ON COLUMN marts.kpi_agency_league.plan_kept_rate IS 'plans_kept / plans_started.';
COMMENT ON COLUMN marts.kpi_agency_league.dossiers_located IS 'Dossiers whose debtor was reached (right-party contact) or had an ADDRESS, CITY, PHONE or EMAIL contact update from the agency.';
COMMENT ON COLUMN marts.kpi_agency_league.located_rate IS 'dossiers_located / dossiers_count.';
COMMENT ON COLUMN marts.kpi_agency_league.dossiers_assets_found IS 'Dossiers with an ASSETS_FOUND action or an ASSET contact update.';
COMMENT ON COLUMN marts.kpi_agency_league.assets_found_rate IS 'dossiers_assets_found / dossiers_count.';
COMMENT ON COLUMN marts.kpi_agency_league.dossiers_data_updated IS 'Dossiers with at least one contact update applied to the debtor master (apply_status APPLIED).';
COMMENT ON COLUMN marts.kpi_agency_league.data_update_rate IS 'dossiers_data_updated / dossiers_count.';
COMMENT ON COLUMN marts.kpi_agency_league.dossiers_paying IS 'Dossiers with a positive amount recovered to date.';
COMMENT ON COLUMN marts.kpi_agency_league.dossiers_paid_in_full IS 'Dossiers whose amount recovered to date reaches their assigned amount.';
COMMENT ON COLUMN marts.kpi_agency_league.computed_at IS 'When the row was computed (UTC).';

-- marts.kpi_cohort_outcome (V007) takes the denominators its rates now use.
ALTER TABLE marts.kpi_cohort_outcome ADD COLUMN dossiers_worked INTEGER;
ALTER TABLE marts.kpi_cohort_outcome ADD COLUMN plans_started INTEGER;
ALTER TABLE marts.kpi_portfolio_month ADD COLUMN coverage_portfolio_rate DECIMAL(9,6);
COMMENT ON TABLE marts.kpi_cohort_outcome IS 'Outcomes of each placement cohort as of the latest month loaded: a copy of the rows of marts.kpi_cohort_month with the greatest as_of_month (see it for definitions).';
COMMENT ON COLUMN marts.kpi_cohort_outcome.dossiers_worked IS 'Dossiers with at least one accepted action dated by as_of_date: denominator of right_party_contact_rate.';
COMMENT ON COLUMN marts.kpi_cohort_outcome.right_party_contact_rate IS 'dossiers_right_party_contact / dossiers_worked.';
COMMENT ON COLUMN marts.kpi_cohort_outcome.plans_started IS 'Signed plans whose first instalment has fallen due by as_of_date: denominator of plan_kept_rate.';
COMMENT ON COLUMN marts.kpi_cohort_outcome.plans_kept IS 'Of plans_started, plans whose payments attributed since request_date cover the instalments due.';
COMMENT ON COLUMN marts.kpi_cohort_outcome.plan_kept_rate IS 'plans_kept / plans_started.';
COMMENT ON COLUMN marts.kpi_cohort_outcome.dossiers_data_updated IS 'Dossiers with at least one contact update applied to the debtor master (apply_status APPLIED).';
COMMENT ON COLUMN marts.kpi_cohort_outcome.promises_count IS 'PROMISE_TO_PAY actions whose promise_date plus the grace days has passed by as_of_date.';
COMMENT ON COLUMN marts.kpi_cohort_outcome.promises_kept IS 'Of those, promises met by payments attributed to the dossier, dated from the action date to promise_date plus the grace days, summing to at least promise_amount.';
COMMENT ON COLUMN marts.kpi_portfolio_month.coverage_portfolio_rate IS 'remaining_open_amount / portfolio_amount: share of the open portfolio being worked by agencies.';

CREATE VIEW marts.v_recovery_vintage AS
SELECT agency_code,
       placement_month,
       segment,
       region,
       months_since_placement,
       dossiers_count,
       assigned_amount,
       recovered_amount,
       recovery_rate
FROM marts.kpi_recovery_vintage;
COMMENT ON VIEW marts.v_recovery_vintage IS 'BI view: recovery curve per agency, placement month (vintage), segment, region and month since placement. Stable contract; see docs/kpi.md.';

COMMENT ON COLUMN marts.v_recovery_vintage.agency_code IS 'Agency code, e.g. AG01.';
COMMENT ON COLUMN marts.v_recovery_vintage.placement_month IS 'Assignment month of the dossiers (first day): the vintage.';
COMMENT ON COLUMN marts.v_recovery_vintage.segment IS 'FRESH or UNPAID_TITLE.';
COMMENT ON COLUMN marts.v_recovery_vintage.region IS 'Region of the dossier, UNKNOWN when none.';
COMMENT ON COLUMN marts.v_recovery_vintage.months_since_placement IS '0 for the placement month, 1 for the next, ...';
COMMENT ON COLUMN marts.v_recovery_vintage.dossiers_count IS 'Dossiers of the vintage (denominator of nothing: context).';
COMMENT ON COLUMN marts.v_recovery_vintage.assigned_amount IS 'Sum of total_due of the vintage (MAD): denominator of recovery_rate.';
COMMENT ON COLUMN marts.v_recovery_vintage.recovered_amount IS 'Attributed to the vintage in statement months up to placement_month + months_since_placement, net of reversals (MAD): numerator of recovery_rate.';
COMMENT ON COLUMN marts.v_recovery_vintage.recovery_rate IS 'recovered_amount / assigned_amount (fraction, 6 decimals). Roll up by summing the numerator and the denominator, never by averaging rates.';

CREATE VIEW marts.v_cohort_outcome AS
SELECT as_of_month,
       agency_code,
       placement_month,
       segment,
       region,
       as_of_date,
       dossiers_count,
       assigned_amount,
       recovered_30d,
       recovered_60d,
       recovered_90d,
       recovered_to_date,
       recovery_rate_30d,
       recovery_rate_60d,
       recovery_rate_90d,
       recovery_rate,
       dossiers_worked,
       dossiers_right_party_contact,
       right_party_contact_rate,
       dossiers_committed,
       promises_count,
       promises_kept,
       promise_kept_rate,
       plans_requested,
       plans_signed,
       plan_activation_rate,
       plans_started,
       plans_kept,
       plan_kept_rate,
       dossiers_located,
       located_rate,
       dossiers_assets_found,
       assets_found_rate,
       dossiers_data_updated,
       data_update_rate,
       dossiers_paying,
       dossiers_paid_in_full,
       open_amount,
       commission_to_date,
       cost_to_collect,
       computed_at
FROM marts.kpi_cohort_month;
COMMENT ON VIEW marts.v_cohort_outcome IS 'BI view: outcomes of each placement cohort (agency x vintage x segment x region) as of the end of each month. Stable contract; see docs/kpi.md.';

COMMENT ON COLUMN marts.v_cohort_outcome.as_of_month IS 'Month whose end the outcomes are stated at (first day); events and attributions known by then are counted.';
COMMENT ON COLUMN marts.v_cohort_outcome.agency_code IS 'Agency code, e.g. AG01 (core.dim_agency).';
COMMENT ON COLUMN marts.v_cohort_outcome.placement_month IS 'Assignment month of the dossiers (first day): the vintage.';
COMMENT ON COLUMN marts.v_cohort_outcome.segment IS 'FRESH or UNPAID_TITLE.';
COMMENT ON COLUMN marts.v_cohort_outcome.region IS 'Region of the dossier, UNKNOWN when none.';
COMMENT ON COLUMN marts.v_cohort_outcome.as_of_date IS 'Last day of as_of_month: date up to which events were counted.';
COMMENT ON COLUMN marts.v_cohort_outcome.dossiers_count IS 'Dossiers of the cohort.';
COMMENT ON COLUMN marts.v_cohort_outcome.assigned_amount IS 'Sum of total_due of the cohort (MAD).';
COMMENT ON COLUMN marts.v_cohort_outcome.recovered_30d IS 'Attributed on payments dated at most 30 days after assignment_start, net of reversals (MAD); NULL until as_of_date reaches assignment_start + 30 for every dossier of the cohort.';
COMMENT ON COLUMN marts.v_cohort_outcome.recovered_60d IS 'As recovered_30d, within 60 days.';
COMMENT ON COLUMN marts.v_cohort_outcome.recovered_90d IS 'As recovered_30d, within 90 days.';
COMMENT ON COLUMN marts.v_cohort_outcome.recovered_to_date IS 'Attributed in statement months up to as_of_month, net of reversals (MAD).';
COMMENT ON COLUMN marts.v_cohort_outcome.recovery_rate_30d IS 'recovered_30d / assigned_amount.';
COMMENT ON COLUMN marts.v_cohort_outcome.recovery_rate_60d IS 'recovered_60d / assigned_amount.';
COMMENT ON COLUMN marts.v_cohort_outcome.recovery_rate_90d IS 'recovered_90d / assigned_amount.';
COMMENT ON COLUMN marts.v_cohort_outcome.recovery_rate IS 'recovered_to_date / assigned_amount.';
COMMENT ON COLUMN marts.v_cohort_outcome.dossiers_worked IS 'Dossiers with at least one accepted action dated by as_of_date.';
COMMENT ON COLUMN marts.v_cohort_outcome.dossiers_right_party_contact IS 'Dossiers with at least one action reaching the debtor (RIGHT_PARTY_CONTACT, PROMISE_TO_PAY, REFUSAL or DISPUTE).';
COMMENT ON COLUMN marts.v_cohort_outcome.right_party_contact_rate IS 'dossiers_right_party_contact / dossiers_worked.';
COMMENT ON COLUMN marts.v_cohort_outcome.dossiers_committed IS 'Dossiers with a PROMISE_TO_PAY action or an instalment plan (requested or signed).';
COMMENT ON COLUMN marts.v_cohort_outcome.promises_count IS 'PROMISE_TO_PAY actions whose promise_date plus the grace days has passed by as_of_date.';
COMMENT ON COLUMN marts.v_cohort_outcome.promises_kept IS 'Of those, promises met by payments attributed to the dossier, dated from the action date to promise_date plus the grace days, summing to at least promise_amount.';
COMMENT ON COLUMN marts.v_cohort_outcome.promise_kept_rate IS 'promises_kept / promises_count.';
COMMENT ON COLUMN marts.v_cohort_outcome.plans_requested IS 'Distinct plans received by as_of_date (as REQUESTED or directly SIGNED).';
COMMENT ON COLUMN marts.v_cohort_outcome.plans_signed IS 'Of those, plans received as SIGNED by as_of_date.';
COMMENT ON COLUMN marts.v_cohort_outcome.plan_activation_rate IS 'plans_signed / plans_requested.';
COMMENT ON COLUMN marts.v_cohort_outcome.plans_started IS 'Signed plans whose first instalment has fallen due by as_of_date (equal monthly instalments from first_due_date): denominator of plan_kept_rate.';
COMMENT ON COLUMN marts.v_cohort_outcome.plans_kept IS 'Of those, plans whose payments attributed since request_date cover the instalments due: paid x installments >= total_amount x instalments due.';
COMMENT ON COLUMN marts.v_cohort_outcome.plan_kept_rate IS 'plans_kept / plans_started.';
COMMENT ON COLUMN marts.v_cohort_outcome.dossiers_located IS 'Dossiers whose debtor was reached (right-party contact) or had an ADDRESS, CITY, PHONE or EMAIL contact update from the agency.';
COMMENT ON COLUMN marts.v_cohort_outcome.located_rate IS 'dossiers_located / dossiers_count.';
COMMENT ON COLUMN marts.v_cohort_outcome.dossiers_assets_found IS 'Dossiers with an ASSETS_FOUND action or an ASSET contact update.';
COMMENT ON COLUMN marts.v_cohort_outcome.assets_found_rate IS 'dossiers_assets_found / dossiers_count.';
COMMENT ON COLUMN marts.v_cohort_outcome.dossiers_data_updated IS 'Dossiers with at least one contact update applied to the debtor master (apply_status APPLIED).';
COMMENT ON COLUMN marts.v_cohort_outcome.data_update_rate IS 'dossiers_data_updated / dossiers_count.';
COMMENT ON COLUMN marts.v_cohort_outcome.dossiers_paying IS 'Dossiers with a positive amount recovered to date.';
COMMENT ON COLUMN marts.v_cohort_outcome.dossiers_paid_in_full IS 'Dossiers whose amount recovered to date reaches their assigned amount.';
COMMENT ON COLUMN marts.v_cohort_outcome.open_amount IS 'Assigned amount still owed and still with the agency at the end of as_of_month (MAD).';
COMMENT ON COLUMN marts.v_cohort_outcome.commission_to_date IS 'Commission paid to date on the cohort, after the cap, from the latest statement up to as_of_month (MAD).';
COMMENT ON COLUMN marts.v_cohort_outcome.cost_to_collect IS 'commission_to_date / recovered_to_date.';
COMMENT ON COLUMN marts.v_cohort_outcome.computed_at IS 'When the row was computed (UTC).';

CREATE VIEW marts.v_agency_league AS
SELECT as_of_month,
       agency_code,
       league_rank,
       dossiers_count,
       assigned_amount,
       recovered_to_date,
       recovery_rate,
       assigned_90d,
       recovered_90d,
       recovery_rate_90d,
       open_amount,
       commission_to_date,
       cost_to_collect,
       dossiers_worked,
       dossiers_right_party_contact,
       right_party_contact_rate,
       dossiers_committed,
       promises_count,
       promises_kept,
       promise_kept_rate,
       plans_requested,
       plans_signed,
       plan_activation_rate,
       plans_started,
       plans_kept,
       plan_kept_rate,
       dossiers_located,
       located_rate,
       dossiers_assets_found,
       assets_found_rate,
       dossiers_data_updated,
       data_update_rate,
       dossiers_paying,
       dossiers_paid_in_full,
       computed_at
FROM marts.kpi_agency_league;
COMMENT ON VIEW marts.v_agency_league IS 'BI view: league of agencies as of the end of each month (recovery rate, cost to collect, right-party contact, promises kept, plans, location, assets, data updates). Stable contract; see docs/kpi.md.';

COMMENT ON COLUMN marts.v_agency_league.as_of_month IS 'Month whose end the league is stated at (first day).';
COMMENT ON COLUMN marts.v_agency_league.agency_code IS 'Agency code, e.g. AG01 (core.dim_agency).';
COMMENT ON COLUMN marts.v_agency_league.league_rank IS 'Rank by recovery_rate (1 = highest; ties and agencies without a rate ranked by agency_code).';
COMMENT ON COLUMN marts.v_agency_league.dossiers_count IS 'Dossiers placed with the agency up to as_of_month (all vintages).';
COMMENT ON COLUMN marts.v_agency_league.assigned_amount IS 'Sum of total_due of those dossiers (MAD).';
COMMENT ON COLUMN marts.v_agency_league.recovered_to_date IS 'Attributed in statement months up to as_of_month, net of reversals (MAD).';
COMMENT ON COLUMN marts.v_agency_league.recovery_rate IS 'recovered_to_date / assigned_amount.';
COMMENT ON COLUMN marts.v_agency_league.assigned_90d IS 'Assigned amount of the cohorts whose 90 days have all passed by as_of_date (MAD): denominator of recovery_rate_90d.';
COMMENT ON COLUMN marts.v_agency_league.recovered_90d IS 'Attributed within 90 days of placement on the vintages whose 90 days have all passed (MAD); cohorts not yet at 90 days are left out of both recovered_90d and assigned_90d.';
COMMENT ON COLUMN marts.v_agency_league.recovery_rate_90d IS 'recovered_90d / assigned_90d.';
COMMENT ON COLUMN marts.v_agency_league.open_amount IS 'Assigned amount still owed and still with the agency at the end of as_of_month (MAD).';
COMMENT ON COLUMN marts.v_agency_league.commission_to_date IS 'Commission paid to date on the cohort, after the cap, from the latest statement up to as_of_month (MAD).';
COMMENT ON COLUMN marts.v_agency_league.cost_to_collect IS 'commission_to_date / recovered_to_date.';
COMMENT ON COLUMN marts.v_agency_league.dossiers_worked IS 'Dossiers with at least one accepted action dated by as_of_date.';
COMMENT ON COLUMN marts.v_agency_league.dossiers_right_party_contact IS 'Dossiers with at least one action reaching the debtor (RIGHT_PARTY_CONTACT, PROMISE_TO_PAY, REFUSAL or DISPUTE).';
COMMENT ON COLUMN marts.v_agency_league.right_party_contact_rate IS 'dossiers_right_party_contact / dossiers_worked.';
COMMENT ON COLUMN marts.v_agency_league.dossiers_committed IS 'Dossiers with a PROMISE_TO_PAY action or an instalment plan (requested or signed).';
COMMENT ON COLUMN marts.v_agency_league.promises_count IS 'PROMISE_TO_PAY actions whose promise_date plus the grace days has passed by as_of_date.';
COMMENT ON COLUMN marts.v_agency_league.promises_kept IS 'Of those, promises met by payments attributed to the dossier, dated from the action date to promise_date plus the grace days, summing to at least promise_amount.';
COMMENT ON COLUMN marts.v_agency_league.promise_kept_rate IS 'promises_kept / promises_count.';
COMMENT ON COLUMN marts.v_agency_league.plans_requested IS 'Distinct plans received by as_of_date (as REQUESTED or directly SIGNED).';
COMMENT ON COLUMN marts.v_agency_league.plans_signed IS 'Of those, plans received as SIGNED by as_of_date.';
COMMENT ON COLUMN marts.v_agency_league.plan_activation_rate IS 'plans_signed / plans_requested.';
COMMENT ON COLUMN marts.v_agency_league.plans_started IS 'Signed plans whose first instalment has fallen due by as_of_date (equal monthly instalments from first_due_date): denominator of plan_kept_rate.';
COMMENT ON COLUMN marts.v_agency_league.plans_kept IS 'Of those, plans whose payments attributed since request_date cover the instalments due: paid x installments >= total_amount x instalments due.';
COMMENT ON COLUMN marts.v_agency_league.plan_kept_rate IS 'plans_kept / plans_started.';
COMMENT ON COLUMN marts.v_agency_league.dossiers_located IS 'Dossiers whose debtor was reached (right-party contact) or had an ADDRESS, CITY, PHONE or EMAIL contact update from the agency.';
COMMENT ON COLUMN marts.v_agency_league.located_rate IS 'dossiers_located / dossiers_count.';
COMMENT ON COLUMN marts.v_agency_league.dossiers_assets_found IS 'Dossiers with an ASSETS_FOUND action or an ASSET contact update.';
COMMENT ON COLUMN marts.v_agency_league.assets_found_rate IS 'dossiers_assets_found / dossiers_count.';
COMMENT ON COLUMN marts.v_agency_league.dossiers_data_updated IS 'Dossiers with at least one contact update applied to the debtor master (apply_status APPLIED).';
COMMENT ON COLUMN marts.v_agency_league.data_update_rate IS 'dossiers_data_updated / dossiers_count.';
COMMENT ON COLUMN marts.v_agency_league.dossiers_paying IS 'Dossiers with a positive amount recovered to date.';
COMMENT ON COLUMN marts.v_agency_league.dossiers_paid_in_full IS 'Dossiers whose amount recovered to date reaches their assigned amount.';
COMMENT ON COLUMN marts.v_agency_league.computed_at IS 'When the row was computed (UTC).';

CREATE VIEW marts.v_agency_month AS
SELECT agency_code,
       month,
       dossiers_open,
       dossiers_assigned,
       dossiers_recalled,
       assigned_amount,
       open_amount,
       actions_count,
       reported_payments_amount,
       matched_payments_amount,
       attributed_in_month,
       commission_in_month,
       cost_to_collect
FROM marts.kpi_agency_month;
COMMENT ON VIEW marts.v_agency_month IS 'BI view: activity, collections and commission per agency and calendar month. Stable contract; see docs/kpi.md.';

COMMENT ON COLUMN marts.v_agency_month.agency_code IS 'Agency code, e.g. AG01.';
COMMENT ON COLUMN marts.v_agency_month.month IS 'Calendar month (first day).';
COMMENT ON COLUMN marts.v_agency_month.dossiers_open IS 'Dossiers with the agency at the end of the month (placed, not recalled, not closed).';
COMMENT ON COLUMN marts.v_agency_month.dossiers_assigned IS 'Dossiers assigned in the month.';
COMMENT ON COLUMN marts.v_agency_month.dossiers_recalled IS 'Dossiers recalled in the month.';
COMMENT ON COLUMN marts.v_agency_month.assigned_amount IS 'total_due of the dossiers assigned in the month (MAD).';
COMMENT ON COLUMN marts.v_agency_month.open_amount IS 'Amount open on the agency''s dossiers at the end of the month (MAD).';
COMMENT ON COLUMN marts.v_agency_month.actions_count IS 'Accepted actions dated in the month.';
COMMENT ON COLUMN marts.v_agency_month.reported_payments_amount IS 'Payments the agency reported, dated in the month (MAD).';
COMMENT ON COLUMN marts.v_agency_month.matched_payments_amount IS 'Of those, confirmed by the fund''s ledger (MAD).';
COMMENT ON COLUMN marts.v_agency_month.attributed_in_month IS 'Attributed in the month (statement month), net of reversals (MAD): denominator of cost_to_collect.';
COMMENT ON COLUMN marts.v_agency_month.commission_in_month IS 'Sum of commission_this_month on the month''s statement (MAD): numerator of cost_to_collect.';
COMMENT ON COLUMN marts.v_agency_month.cost_to_collect IS 'commission_in_month / attributed_in_month.';

CREATE VIEW marts.v_portfolio_coverage AS
SELECT month,
       segment,
       region,
       debtors_in_portfolio,
       debtors_eligible,
       debtors_placed,
       portfolio_amount,
       eligible_amount,
       placed_amount,
       coverage_debtors_rate,
       coverage_amount_rate,
       remaining_open_amount,
       coverage_portfolio_rate,
       recovered_to_date
FROM marts.kpi_portfolio_month;
COMMENT ON VIEW marts.v_portfolio_coverage IS 'BI view: coverage of the unpaid-contribution portfolio by the programme and the amount remaining to recover, per month, segment and region. Stable contract; see docs/kpi.md.';

COMMENT ON COLUMN marts.v_portfolio_coverage.month IS 'Selection month (first day).';
COMMENT ON COLUMN marts.v_portfolio_coverage.segment IS 'FRESH, UNPAID_TITLE, or NONE for debtors fitting neither.';
COMMENT ON COLUMN marts.v_portfolio_coverage.region IS 'Region of the debtor, UNKNOWN when none.';
COMMENT ON COLUMN marts.v_portfolio_coverage.debtors_in_portfolio IS 'Debtors considered by the month''s selection (core.selection_decision).';
COMMENT ON COLUMN marts.v_portfolio_coverage.debtors_eligible IS 'Of those, not EXCLUDED: denominator of coverage_debtors_rate.';
COMMENT ON COLUMN marts.v_portfolio_coverage.debtors_placed IS 'Debtors with a dossier open with an agency at the end of the month: numerator of coverage_debtors_rate.';
COMMENT ON COLUMN marts.v_portfolio_coverage.portfolio_amount IS 'Amount owed by the debtors considered (MAD): denominator of coverage_portfolio_rate.';
COMMENT ON COLUMN marts.v_portfolio_coverage.eligible_amount IS 'Amount owed by the eligible debtors (MAD): denominator of coverage_amount_rate.';
COMMENT ON COLUMN marts.v_portfolio_coverage.placed_amount IS 'Amount assigned on the dossiers open at the end of the month (MAD): numerator of coverage_amount_rate.';
COMMENT ON COLUMN marts.v_portfolio_coverage.coverage_debtors_rate IS 'debtors_placed / debtors_eligible.';
COMMENT ON COLUMN marts.v_portfolio_coverage.coverage_amount_rate IS 'placed_amount / eligible_amount.';
COMMENT ON COLUMN marts.v_portfolio_coverage.remaining_open_amount IS 'Open amount on dossiers still with agencies at the end of the month (MAD): the amount remaining to recover; numerator of coverage_portfolio_rate.';
COMMENT ON COLUMN marts.v_portfolio_coverage.coverage_portfolio_rate IS 'remaining_open_amount / portfolio_amount: share of the open portfolio being worked by agencies.';
COMMENT ON COLUMN marts.v_portfolio_coverage.recovered_to_date IS 'Attributed on all dossiers of the segment and region since the programme began (MAD).';

-- Stage 6: marts, rebuilt from core by the KPI stage (a run replaces the months it computes).
-- Grain columns are never NULL: an unknown region is 'UNKNOWN'. Rates are fractions in [0, 1]
-- stored as DECIMAL(9,6) and are NULL when their denominator is zero or the horizon has not passed;
-- numerators and denominators are stored beside them so that any roll-up can recompute the rate.

CREATE TABLE IF NOT EXISTS marts.fact_dossier_month (
    as_of_month             DATE          NOT NULL,
    dossier_id              VARCHAR       NOT NULL,
    agency_code             VARCHAR       NOT NULL,
    debtor_id               BIGINT        NOT NULL,
    segment                 VARCHAR       NOT NULL,
    region                  VARCHAR       NOT NULL,
    placement_month         DATE          NOT NULL,
    months_since_placement  INTEGER       NOT NULL,
    assigned_amount         DECIMAL(18,2) NOT NULL,
    attributed_in_month     DECIMAL(18,2) NOT NULL,
    attributed_to_date      DECIMAL(18,2) NOT NULL,
    recalled_amount         DECIMAL(18,2) NOT NULL,
    closed_amount           DECIMAL(18,2) NOT NULL,
    settled_other_amount    DECIMAL(18,2) NOT NULL,
    open_amount             DECIMAL(18,2) NOT NULL,
    commission_to_date      DECIMAL(18,2) NOT NULL,
    PRIMARY KEY (as_of_month, dossier_id),
    CHECK (EXTRACT(DAY FROM as_of_month) = 1),
    CHECK (months_since_placement >= 0),
    CHECK (open_amount >= 0 AND recalled_amount >= 0 AND closed_amount >= 0 AND settled_other_amount >= 0),
    CHECK (assigned_amount = attributed_to_date + open_amount + recalled_amount + closed_amount
                             + settled_other_amount)
);
COMMENT ON TABLE marts.fact_dossier_month IS 'Position of every dossier at the end of every month since its placement: the base of the recovery KPIs and the money-integrity check, enforced per row to the centime: assigned = attributed + open + recalled + closed + settled otherwise.';
COMMENT ON COLUMN marts.fact_dossier_month.as_of_month IS 'Month whose end the position describes (first day).';
COMMENT ON COLUMN marts.fact_dossier_month.segment IS 'FRESH or UNPAID_TITLE.';
COMMENT ON COLUMN marts.fact_dossier_month.region IS 'Region of the dossier, UNKNOWN when none.';
COMMENT ON COLUMN marts.fact_dossier_month.placement_month IS 'Assignment month of the dossier (first day): its vintage.';
COMMENT ON COLUMN marts.fact_dossier_month.months_since_placement IS '0 for the placement month itself, 1 for the next, ...';
COMMENT ON COLUMN marts.fact_dossier_month.assigned_amount IS 'total_due of the dossier (MAD).';
COMMENT ON COLUMN marts.fact_dossier_month.attributed_in_month IS 'Attributed during as_of_month, net of reversals (MAD).';
COMMENT ON COLUMN marts.fact_dossier_month.attributed_to_date IS 'Attributed from placement to the end of as_of_month, net of reversals (MAD).';
COMMENT ON COLUMN marts.fact_dossier_month.recalled_amount IS 'Amount open when the dossier was recalled, if recalled by then (MAD).';
COMMENT ON COLUMN marts.fact_dossier_month.closed_amount IS 'Amount taken off the dossier by a fund decision without recall (remission, cancelled title) (MAD).';
COMMENT ON COLUMN marts.fact_dossier_month.settled_other_amount IS 'Assigned amount settled by ledger payments that do not count for the agency, e.g. dated before the window (MAD).';
COMMENT ON COLUMN marts.fact_dossier_month.open_amount IS 'Assigned amount still owed and still with the agency (MAD).';
COMMENT ON COLUMN marts.fact_dossier_month.commission_to_date IS 'Commission paid to date on the dossier, after the cap (MAD).';
COMMENT ON COLUMN marts.fact_dossier_month.dossier_id IS 'Dossier, e.g. D202611-000123 (core.dossier).';
COMMENT ON COLUMN marts.fact_dossier_month.agency_code IS 'Agency code, e.g. AG01 (core.dim_agency).';
COMMENT ON COLUMN marts.fact_dossier_month.debtor_id IS 'Debtor, i.e. legal entity (core.dim_debtor).';

CREATE TABLE IF NOT EXISTS marts.kpi_recovery_vintage (
    agency_code             VARCHAR       NOT NULL,
    placement_month         DATE          NOT NULL,
    segment                 VARCHAR       NOT NULL,
    region                  VARCHAR       NOT NULL,
    months_since_placement  INTEGER       NOT NULL,
    dossiers_count          INTEGER       NOT NULL,
    assigned_amount         DECIMAL(18,2) NOT NULL,
    recovered_amount        DECIMAL(18,2) NOT NULL,
    recovery_rate           DECIMAL(9,6),
    computed_at             TIMESTAMP     NOT NULL,
    PRIMARY KEY (agency_code, placement_month, segment, region, months_since_placement),
    CHECK (EXTRACT(DAY FROM placement_month) = 1),
    CHECK (months_since_placement >= 0)
);
COMMENT ON TABLE marts.kpi_recovery_vintage IS 'Recovery curve per agency and placement month (vintage), by segment and region: amount assigned and cumulative amount recovered (attributed) after each month since placement.';
COMMENT ON COLUMN marts.kpi_recovery_vintage.months_since_placement IS '0 for the placement month, 1 for the next, ...';
COMMENT ON COLUMN marts.kpi_recovery_vintage.dossiers_count IS 'Dossiers of the vintage.';
COMMENT ON COLUMN marts.kpi_recovery_vintage.assigned_amount IS 'Sum of total_due of the vintage (MAD).';
COMMENT ON COLUMN marts.kpi_recovery_vintage.recovered_amount IS 'Attributed to the vintage by the end of that month, net of reversals (MAD).';
COMMENT ON COLUMN marts.kpi_recovery_vintage.recovery_rate IS 'recovered_amount / assigned_amount.';
COMMENT ON COLUMN marts.kpi_recovery_vintage.computed_at IS 'When the row was computed (UTC).';
COMMENT ON COLUMN marts.kpi_recovery_vintage.agency_code IS 'Agency code, e.g. AG01 (core.dim_agency).';
COMMENT ON COLUMN marts.kpi_recovery_vintage.placement_month IS 'Assignment month of the dossiers (first day): the vintage.';
COMMENT ON COLUMN marts.kpi_recovery_vintage.segment IS 'FRESH or UNPAID_TITLE.';
COMMENT ON COLUMN marts.kpi_recovery_vintage.region IS 'Region of the debtor (one of Morocco''s 12 regions).';

CREATE TABLE IF NOT EXISTS marts.kpi_cohort_outcome (
    agency_code             VARCHAR       NOT NULL,
    placement_month         DATE          NOT NULL,
    segment                 VARCHAR       NOT NULL,
    region                  VARCHAR       NOT NULL,
    as_of_date              DATE          NOT NULL,
    dossiers_count          INTEGER       NOT NULL,
    assigned_amount         DECIMAL(18,2) NOT NULL,
    recovered_30d           DECIMAL(18,2),
    recovered_60d           DECIMAL(18,2),
    recovered_90d           DECIMAL(18,2),
    recovered_to_date       DECIMAL(18,2) NOT NULL,
    recovery_rate_30d       DECIMAL(9,6),
    recovery_rate_60d       DECIMAL(9,6),
    recovery_rate_90d       DECIMAL(9,6),
    dossiers_right_party_contact INTEGER  NOT NULL,
    right_party_contact_rate     DECIMAL(9,6),
    promises_count          INTEGER       NOT NULL,
    promises_kept           INTEGER       NOT NULL,
    promise_kept_rate       DECIMAL(9,6),
    plans_requested         INTEGER       NOT NULL,
    plans_signed            INTEGER       NOT NULL,
    plans_kept              INTEGER       NOT NULL,
    plan_activation_rate    DECIMAL(9,6),
    plan_kept_rate          DECIMAL(9,6),
    dossiers_located        INTEGER       NOT NULL,
    located_rate            DECIMAL(9,6),
    dossiers_assets_found   INTEGER       NOT NULL,
    assets_found_rate       DECIMAL(9,6),
    dossiers_data_updated   INTEGER       NOT NULL,
    data_update_rate        DECIMAL(9,6),
    commission_to_date      DECIMAL(18,2) NOT NULL,
    cost_to_collect         DECIMAL(9,6),
    computed_at             TIMESTAMP     NOT NULL,
    PRIMARY KEY (agency_code, placement_month, segment, region),
    CHECK (EXTRACT(DAY FROM placement_month) = 1)
);
COMMENT ON TABLE marts.kpi_cohort_outcome IS 'Outcomes of each placement cohort (agency x placement month x segment x region) as of the latest run: recovery within 30/60/90 days, right-party contact, promises kept, plans, debtors located, assets found, data updated, cost to collect.';
COMMENT ON COLUMN marts.kpi_cohort_outcome.as_of_date IS 'Date up to which events were counted.';
COMMENT ON COLUMN marts.kpi_cohort_outcome.recovered_30d IS 'Attributed within 30 days of assignment_start, net of reversals (MAD); NULL until 30 days have passed for every dossier of the cohort.';
COMMENT ON COLUMN marts.kpi_cohort_outcome.recovered_60d IS 'As recovered_30d, within 60 days.';
COMMENT ON COLUMN marts.kpi_cohort_outcome.recovered_90d IS 'As recovered_30d, within 90 days.';
COMMENT ON COLUMN marts.kpi_cohort_outcome.recovered_to_date IS 'Attributed up to as_of_date, net of reversals (MAD).';
COMMENT ON COLUMN marts.kpi_cohort_outcome.recovery_rate_30d IS 'recovered_30d / assigned_amount.';
COMMENT ON COLUMN marts.kpi_cohort_outcome.dossiers_right_party_contact IS 'Dossiers with at least one action reaching the debtor (RIGHT_PARTY_CONTACT, PROMISE_TO_PAY, REFUSAL or DISPUTE).';
COMMENT ON COLUMN marts.kpi_cohort_outcome.right_party_contact_rate IS 'dossiers_right_party_contact / dossiers_count.';
COMMENT ON COLUMN marts.kpi_cohort_outcome.promises_count IS 'PROMISE_TO_PAY actions whose promise_date has passed.';
COMMENT ON COLUMN marts.kpi_cohort_outcome.promises_kept IS 'Of those, promises met by attributed payments of at least promise_amount by promise_date.';
COMMENT ON COLUMN marts.kpi_cohort_outcome.promise_kept_rate IS 'promises_kept / promises_count.';
COMMENT ON COLUMN marts.kpi_cohort_outcome.plans_requested IS 'Distinct plans sent as REQUESTED.';
COMMENT ON COLUMN marts.kpi_cohort_outcome.plans_signed IS 'Distinct plans sent as SIGNED.';
COMMENT ON COLUMN marts.kpi_cohort_outcome.plans_kept IS 'Signed plans whose instalments due so far are covered by attributed payments.';
COMMENT ON COLUMN marts.kpi_cohort_outcome.plan_activation_rate IS 'plans_signed / plans_requested.';
COMMENT ON COLUMN marts.kpi_cohort_outcome.plan_kept_rate IS 'plans_kept / plans_signed.';
COMMENT ON COLUMN marts.kpi_cohort_outcome.dossiers_located IS 'Dossiers whose debtor was reached or had an address or phone confirmed by the agency.';
COMMENT ON COLUMN marts.kpi_cohort_outcome.dossiers_assets_found IS 'Dossiers with an ASSETS_FOUND action or an ASSET contact update.';
COMMENT ON COLUMN marts.kpi_cohort_outcome.dossiers_data_updated IS 'Dossiers with at least one accepted contact update.';
COMMENT ON COLUMN marts.kpi_cohort_outcome.commission_to_date IS 'Commission paid to date on the cohort (MAD).';
COMMENT ON COLUMN marts.kpi_cohort_outcome.cost_to_collect IS 'commission_to_date / recovered_to_date.';
COMMENT ON COLUMN marts.kpi_cohort_outcome.computed_at IS 'When the row was computed (UTC).';
COMMENT ON COLUMN marts.kpi_cohort_outcome.agency_code IS 'Agency code, e.g. AG01 (core.dim_agency).';
COMMENT ON COLUMN marts.kpi_cohort_outcome.placement_month IS 'Assignment month of the dossiers (first day): the vintage.';
COMMENT ON COLUMN marts.kpi_cohort_outcome.segment IS 'FRESH or UNPAID_TITLE.';
COMMENT ON COLUMN marts.kpi_cohort_outcome.region IS 'Region of the debtor (one of Morocco''s 12 regions).';
COMMENT ON COLUMN marts.kpi_cohort_outcome.dossiers_count IS 'Dossiers of the cohort.';
COMMENT ON COLUMN marts.kpi_cohort_outcome.assigned_amount IS 'Sum of total_due of the cohort (MAD).';
COMMENT ON COLUMN marts.kpi_cohort_outcome.recovery_rate_60d IS 'recovered_60d / assigned_amount.';
COMMENT ON COLUMN marts.kpi_cohort_outcome.recovery_rate_90d IS 'recovered_90d / assigned_amount.';
COMMENT ON COLUMN marts.kpi_cohort_outcome.located_rate IS 'dossiers_located / dossiers_count.';
COMMENT ON COLUMN marts.kpi_cohort_outcome.assets_found_rate IS 'dossiers_assets_found / dossiers_count.';
COMMENT ON COLUMN marts.kpi_cohort_outcome.data_update_rate IS 'dossiers_data_updated / dossiers_count.';

CREATE TABLE IF NOT EXISTS marts.kpi_agency_month (
    agency_code              VARCHAR       NOT NULL,
    month                    DATE          NOT NULL,
    dossiers_open            INTEGER       NOT NULL,
    dossiers_assigned        INTEGER       NOT NULL,
    dossiers_recalled        INTEGER       NOT NULL,
    assigned_amount          DECIMAL(18,2) NOT NULL,
    open_amount              DECIMAL(18,2) NOT NULL,
    actions_count            INTEGER       NOT NULL,
    reported_payments_amount DECIMAL(18,2) NOT NULL,
    matched_payments_amount  DECIMAL(18,2) NOT NULL,
    attributed_in_month      DECIMAL(18,2) NOT NULL,
    commission_in_month      DECIMAL(18,2) NOT NULL,
    cost_to_collect          DECIMAL(9,6),
    computed_at              TIMESTAMP     NOT NULL,
    PRIMARY KEY (agency_code, month),
    CHECK (EXTRACT(DAY FROM month) = 1)
);
COMMENT ON TABLE marts.kpi_agency_month IS 'Activity and cost per agency and calendar month: dossiers held, work done, collections attributed and commission earned.';
COMMENT ON COLUMN marts.kpi_agency_month.month IS 'Calendar month (first day).';
COMMENT ON COLUMN marts.kpi_agency_month.dossiers_open IS 'Dossiers with the agency at the end of the month.';
COMMENT ON COLUMN marts.kpi_agency_month.dossiers_assigned IS 'Dossiers assigned in the month.';
COMMENT ON COLUMN marts.kpi_agency_month.dossiers_recalled IS 'Dossiers recalled in the month.';
COMMENT ON COLUMN marts.kpi_agency_month.assigned_amount IS 'total_due of the dossiers assigned in the month (MAD).';
COMMENT ON COLUMN marts.kpi_agency_month.open_amount IS 'Amount open on the agency''s dossiers at the end of the month (MAD).';
COMMENT ON COLUMN marts.kpi_agency_month.actions_count IS 'Accepted actions dated in the month.';
COMMENT ON COLUMN marts.kpi_agency_month.reported_payments_amount IS 'Payments the agency reported, dated in the month (MAD).';
COMMENT ON COLUMN marts.kpi_agency_month.matched_payments_amount IS 'Of those, confirmed by the ledger (MAD).';
COMMENT ON COLUMN marts.kpi_agency_month.attributed_in_month IS 'Attributed in the month, net of reversals (MAD).';
COMMENT ON COLUMN marts.kpi_agency_month.commission_in_month IS 'Sum of commission_this_month on the month''s statement (MAD).';
COMMENT ON COLUMN marts.kpi_agency_month.cost_to_collect IS 'commission_in_month / attributed_in_month.';
COMMENT ON COLUMN marts.kpi_agency_month.computed_at IS 'When the row was computed (UTC).';
COMMENT ON COLUMN marts.kpi_agency_month.agency_code IS 'Agency code, e.g. AG01 (core.dim_agency).';

CREATE TABLE IF NOT EXISTS marts.kpi_portfolio_month (
    month                    DATE          NOT NULL,
    segment                  VARCHAR       NOT NULL,
    region                   VARCHAR       NOT NULL,
    debtors_in_portfolio     INTEGER       NOT NULL,
    debtors_eligible         INTEGER       NOT NULL,
    debtors_placed           INTEGER       NOT NULL,
    portfolio_amount         DECIMAL(18,2) NOT NULL,
    eligible_amount          DECIMAL(18,2) NOT NULL,
    placed_amount            DECIMAL(18,2) NOT NULL,
    coverage_debtors_rate    DECIMAL(9,6),
    coverage_amount_rate     DECIMAL(9,6),
    recovered_to_date        DECIMAL(18,2) NOT NULL,
    remaining_open_amount    DECIMAL(18,2) NOT NULL,
    computed_at              TIMESTAMP     NOT NULL,
    PRIMARY KEY (month, segment, region),
    CHECK (EXTRACT(DAY FROM month) = 1),
    CHECK (debtors_eligible <= debtors_in_portfolio)
);
COMMENT ON TABLE marts.kpi_portfolio_month IS 'Coverage of the unpaid-contribution portfolio by the programme and the amount still to recover, per month, segment and region.';
COMMENT ON COLUMN marts.kpi_portfolio_month.month IS 'Selection month (first day).';
COMMENT ON COLUMN marts.kpi_portfolio_month.segment IS 'FRESH, UNPAID_TITLE, or NONE for debtors fitting neither.';
COMMENT ON COLUMN marts.kpi_portfolio_month.debtors_in_portfolio IS 'Debtors considered by the month''s selection (core.selection_decision).';
COMMENT ON COLUMN marts.kpi_portfolio_month.debtors_eligible IS 'Of those, not EXCLUDED.';
COMMENT ON COLUMN marts.kpi_portfolio_month.debtors_placed IS 'Debtors with a dossier open with an agency at the end of the month.';
COMMENT ON COLUMN marts.kpi_portfolio_month.portfolio_amount IS 'Amount owed by the debtors in the portfolio (MAD).';
COMMENT ON COLUMN marts.kpi_portfolio_month.eligible_amount IS 'Amount owed by the eligible debtors (MAD).';
COMMENT ON COLUMN marts.kpi_portfolio_month.placed_amount IS 'Amount assigned on the dossiers open at the end of the month (MAD).';
COMMENT ON COLUMN marts.kpi_portfolio_month.coverage_debtors_rate IS 'debtors_placed / debtors_eligible.';
COMMENT ON COLUMN marts.kpi_portfolio_month.coverage_amount_rate IS 'placed_amount / eligible_amount.';
COMMENT ON COLUMN marts.kpi_portfolio_month.recovered_to_date IS 'Attributed on all dossiers of the segment and region since the programme began (MAD).';
COMMENT ON COLUMN marts.kpi_portfolio_month.remaining_open_amount IS 'Open amount on dossiers still with agencies at the end of the month (MAD).';
COMMENT ON COLUMN marts.kpi_portfolio_month.computed_at IS 'When the row was computed (UTC).';
COMMENT ON COLUMN marts.kpi_portfolio_month.region IS 'Region of the debtor (one of Morocco''s 12 regions).';

-- Coverage rates are ratios that V007 documents can exceed 1 (debtors already placed are excluded from
-- the next months' eligible debtors): on a small or well-covered portfolio placed_amount /
-- eligible_amount reached 2,147 (1,500 employers, December), past DECIMAL(9,6)'s 999.999999, and the
-- month's KPI load failed. Both coverage rates widen to DECIMAL(18,6). PostgreSQL alters no column a
-- view reads: the BI view is dropped and created again, the same columns in the same order, with its
-- comments (V011's, and V018's for debtors_in_portfolio).
DROP VIEW marts.v_portfolio_coverage;
ALTER TABLE marts.kpi_portfolio_month ALTER COLUMN coverage_debtors_rate TYPE DECIMAL(18,6);
ALTER TABLE marts.kpi_portfolio_month ALTER COLUMN coverage_amount_rate TYPE DECIMAL(18,6);
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
COMMENT ON COLUMN marts.v_portfolio_coverage.debtors_in_portfolio IS 'Debtors considered by the month''s selection runs (core.selection_decision), each once, as its latest run of the month decided it.';
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

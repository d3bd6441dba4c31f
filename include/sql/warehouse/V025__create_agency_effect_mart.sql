-- Issue 17.7, agency effects with confidence (recouvra.effects, docs/kpi.md "Agency effects"): each
-- agency's recovery rate against the other agencies' on comparable dossiers of the randomised
-- allocation, by vintage and months on book, with a stratified bootstrap interval and a plain finding.
CREATE TABLE IF NOT EXISTS marts.kpi_agency_effect (
    as_of_month            DATE NOT NULL,
    agency_code            VARCHAR NOT NULL,
    vintage                VARCHAR NOT NULL,
    months_on_book         INTEGER NOT NULL,
    dossiers_count         INTEGER NOT NULL,
    pool_dossiers_count    INTEGER NOT NULL,
    strata_count           INTEGER NOT NULL,
    dossiers_left_out      INTEGER NOT NULL,
    assigned_amount        DECIMAL(18,2) NOT NULL,
    recovered_amount       DECIMAL(18,2) NOT NULL,
    agency_rate            DECIMAL(9,6),
    pool_rate              DECIMAL(9,6),
    effect                 DECIMAL(9,6),
    ci_low                 DECIMAL(9,6),
    ci_high                DECIMAL(9,6),
    significant            BOOLEAN,
    finding                VARCHAR NOT NULL,
    computed_at            TIMESTAMP NOT NULL,
    PRIMARY KEY (as_of_month, agency_code, vintage, months_on_book),
    CHECK (EXTRACT(DAY FROM as_of_month) = 1),
    CHECK (months_on_book >= 0)
);
COMMENT ON TABLE marts.kpi_agency_effect IS 'Agency effects: each agency''s recovery rate against the other agencies'' on comparable dossiers of the randomised allocation (same strata), by vintage and months on book, with a 95% stratified bootstrap interval and whether the difference is significant.';
COMMENT ON COLUMN marts.kpi_agency_effect.as_of_month IS 'Month whose end the comparison is stated at (first day).';
COMMENT ON COLUMN marts.kpi_agency_effect.agency_code IS 'Agency compared with the pool, e.g. AG01.';
COMMENT ON COLUMN marts.kpi_agency_effect.vintage IS 'Placement month compared (YYYY-MM), or ALL for every vintage together.';
COMMENT ON COLUMN marts.kpi_agency_effect.months_on_book IS 'Month ends since the placement month''s own (0 = the end of the placement month): how long the dossiers have been worked.';
COMMENT ON COLUMN marts.kpi_agency_effect.dossiers_count IS 'The agency''s comparable dossiers: those in strata (placement month x region x segment x score band) where another agency has dossiers too.';
COMMENT ON COLUMN marts.kpi_agency_effect.pool_dossiers_count IS 'The other agencies'' dossiers in those strata: the pool.';
COMMENT ON COLUMN marts.kpi_agency_effect.strata_count IS 'Strata of the randomised allocation the comparison covers.';
COMMENT ON COLUMN marts.kpi_agency_effect.dossiers_left_out IS 'The agency''s dossiers in strata no other agency shares (not comparable; left out).';
COMMENT ON COLUMN marts.kpi_agency_effect.assigned_amount IS 'Assigned on the agency''s comparable dossiers (MAD).';
COMMENT ON COLUMN marts.kpi_agency_effect.recovered_amount IS 'Attributed to them by months_on_book, net of reversals (MAD).';
COMMENT ON COLUMN marts.kpi_agency_effect.agency_rate IS 'recovered_amount / assigned_amount.';
COMMENT ON COLUMN marts.kpi_agency_effect.pool_rate IS 'The other agencies'' recovery rate in the same strata, weighted by the agency''s assigned amount per stratum (standardised to its mix).';
COMMENT ON COLUMN marts.kpi_agency_effect.effect IS 'agency_rate - pool_rate (0.021 = 2.1 points); empty when too few comparable dossiers.';
COMMENT ON COLUMN marts.kpi_agency_effect.ci_low IS 'Lower bound of the 95% interval of effect: stratified bootstrap over dossiers (2,000 resamples).';
COMMENT ON COLUMN marts.kpi_agency_effect.ci_high IS 'Upper bound of that interval.';
COMMENT ON COLUMN marts.kpi_agency_effect.significant IS 'True when the interval excludes 0; empty when fewer than 20 comparable dossiers on either side.';
COMMENT ON COLUMN marts.kpi_agency_effect.finding IS 'The result in one plain sentence, as the monthly report states it.';
COMMENT ON COLUMN marts.kpi_agency_effect.computed_at IS 'When the row was computed (UTC).';

CREATE VIEW marts.v_agency_effect AS
SELECT as_of_month,
       agency_code,
       vintage,
       months_on_book,
       dossiers_count,
       pool_dossiers_count,
       strata_count,
       dossiers_left_out,
       assigned_amount,
       recovered_amount,
       agency_rate,
       pool_rate,
       effect,
       ci_low,
       ci_high,
       significant,
       finding,
       computed_at
FROM marts.kpi_agency_effect;
COMMENT ON VIEW marts.v_agency_effect IS 'BI view: does an agency truly recover more than the others? Its rate against the pool on comparable dossiers, with a confidence interval. Stable contract; see docs/kpi.md.';
COMMENT ON COLUMN marts.v_agency_effect.as_of_month IS 'Month whose end the comparison is stated at (first day).';
COMMENT ON COLUMN marts.v_agency_effect.agency_code IS 'Agency compared with the pool, e.g. AG01.';
COMMENT ON COLUMN marts.v_agency_effect.vintage IS 'Placement month compared (YYYY-MM), or ALL for every vintage together.';
COMMENT ON COLUMN marts.v_agency_effect.months_on_book IS 'Month ends since the placement month''s own (0 = the end of the placement month): how long the dossiers have been worked.';
COMMENT ON COLUMN marts.v_agency_effect.dossiers_count IS 'The agency''s comparable dossiers: those in strata (placement month x region x segment x score band) where another agency has dossiers too.';
COMMENT ON COLUMN marts.v_agency_effect.pool_dossiers_count IS 'The other agencies'' dossiers in those strata: the pool.';
COMMENT ON COLUMN marts.v_agency_effect.strata_count IS 'Strata of the randomised allocation the comparison covers.';
COMMENT ON COLUMN marts.v_agency_effect.dossiers_left_out IS 'The agency''s dossiers in strata no other agency shares (not comparable; left out).';
COMMENT ON COLUMN marts.v_agency_effect.assigned_amount IS 'Assigned on the agency''s comparable dossiers (MAD).';
COMMENT ON COLUMN marts.v_agency_effect.recovered_amount IS 'Attributed to them by months_on_book, net of reversals (MAD).';
COMMENT ON COLUMN marts.v_agency_effect.agency_rate IS 'recovered_amount / assigned_amount.';
COMMENT ON COLUMN marts.v_agency_effect.pool_rate IS 'The other agencies'' recovery rate in the same strata, weighted by the agency''s assigned amount per stratum (standardised to its mix).';
COMMENT ON COLUMN marts.v_agency_effect.effect IS 'agency_rate - pool_rate (0.021 = 2.1 points); empty when too few comparable dossiers.';
COMMENT ON COLUMN marts.v_agency_effect.ci_low IS 'Lower bound of the 95% interval of effect: stratified bootstrap over dossiers (2,000 resamples).';
COMMENT ON COLUMN marts.v_agency_effect.ci_high IS 'Upper bound of that interval.';
COMMENT ON COLUMN marts.v_agency_effect.significant IS 'True when the interval excludes 0; empty when fewer than 20 comparable dossiers on either side.';
COMMENT ON COLUMN marts.v_agency_effect.finding IS 'The result in one plain sentence, as the monthly report states it.';
COMMENT ON COLUMN marts.v_agency_effect.computed_at IS 'When the row was computed (UTC).';

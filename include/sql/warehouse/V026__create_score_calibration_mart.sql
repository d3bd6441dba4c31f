-- Issue 17.10, a score that learns (recouvra.calibration, docs/kpi.md "Score calibration"): the
-- expected-recovery score's predictions against what was recovered, by decile of predicted likelihood,
-- with the model in use and the month it was last fitted.
CREATE TABLE IF NOT EXISTS marts.kpi_score_calibration (
    as_of_month            DATE NOT NULL,
    decile                 INTEGER NOT NULL,
    dossiers_count         INTEGER NOT NULL,
    weighted_due           DECIMAL(18,2) NOT NULL,
    predicted_amount       DECIMAL(18,2) NOT NULL,
    observed_amount        DECIMAL(18,2) NOT NULL,
    predicted_rate         DECIMAL(9,6),
    observed_rate          DECIMAL(9,6),
    mean_likelihood        DECIMAL(9,6) NOT NULL,
    horizon_months         INTEGER NOT NULL,
    vintages_count         INTEGER NOT NULL,
    model_source           VARCHAR,
    fitted_month           DATE,
    computed_at            TIMESTAMP NOT NULL,
    PRIMARY KEY (as_of_month, decile),
    CHECK (EXTRACT(DAY FROM as_of_month) = 1),
    CHECK (decile BETWEEN 1 AND 10)
);
COMMENT ON TABLE marts.kpi_score_calibration IS 'Calibration of the expected-recovery score per month end: dossiers whose results horizon has passed, ranked by predicted likelihood into deciles, predicted (score) against observed (attributed within the horizon), with the likelihood model in use and the month it was last fitted.';
COMMENT ON COLUMN marts.kpi_score_calibration.as_of_month IS 'Month whose end the calibration is stated at (first day).';
COMMENT ON COLUMN marts.kpi_score_calibration.decile IS 'Tenth of the dossiers whose results are in, ranked by predicted likelihood (1 = the highest).';
COMMENT ON COLUMN marts.kpi_score_calibration.dossiers_count IS 'Dossiers in the decile.';
COMMENT ON COLUMN marts.kpi_score_calibration.weighted_due IS 'Their kind-weighted amount (score card) (MAD): the base of both rates.';
COMMENT ON COLUMN marts.kpi_score_calibration.predicted_amount IS 'Sum of likelihood x weighted amount, i.e. of their scores (MAD): what the score predicted.';
COMMENT ON COLUMN marts.kpi_score_calibration.observed_amount IS 'Attributed to them within the horizon after placement, net of reversals (MAD).';
COMMENT ON COLUMN marts.kpi_score_calibration.predicted_rate IS 'predicted_amount / weighted_due.';
COMMENT ON COLUMN marts.kpi_score_calibration.observed_rate IS 'observed_amount / weighted_due: close to predicted_rate when the score is calibrated.';
COMMENT ON COLUMN marts.kpi_score_calibration.mean_likelihood IS 'Mean predicted likelihood of the decile''s dossiers.';
COMMENT ON COLUMN marts.kpi_score_calibration.horizon_months IS 'Months after placement the results count (selection.calibration.results_horizon_months).';
COMMENT ON COLUMN marts.kpi_score_calibration.vintages_count IS 'Placement months whose horizon had passed by the month end.';
COMMENT ON COLUMN marts.kpi_score_calibration.model_source IS 'Likelihood model of the latest selection run by the month: PRIOR (configured) or CALIBRATED (refitted on results).';
COMMENT ON COLUMN marts.kpi_score_calibration.fitted_month IS 'Latest selection month whose model was refitted on the programme''s results; empty while only the prior was used.';
COMMENT ON COLUMN marts.kpi_score_calibration.computed_at IS 'When the row was computed (UTC).';

CREATE VIEW marts.v_score_calibration AS
SELECT as_of_month,
       decile,
       dossiers_count,
       weighted_due,
       predicted_amount,
       observed_amount,
       predicted_rate,
       observed_rate,
       mean_likelihood,
       horizon_months,
       vintages_count,
       model_source,
       fitted_month,
       computed_at
FROM marts.kpi_score_calibration;
COMMENT ON VIEW marts.v_score_calibration IS 'BI view: is the expected-recovery score right? Predicted against observed recovery by decile of predicted likelihood. Stable contract; see docs/kpi.md.';
COMMENT ON COLUMN marts.v_score_calibration.as_of_month IS 'Month whose end the calibration is stated at (first day).';
COMMENT ON COLUMN marts.v_score_calibration.decile IS 'Tenth of the dossiers whose results are in, ranked by predicted likelihood (1 = the highest).';
COMMENT ON COLUMN marts.v_score_calibration.dossiers_count IS 'Dossiers in the decile.';
COMMENT ON COLUMN marts.v_score_calibration.weighted_due IS 'Their kind-weighted amount (score card) (MAD): the base of both rates.';
COMMENT ON COLUMN marts.v_score_calibration.predicted_amount IS 'Sum of likelihood x weighted amount, i.e. of their scores (MAD): what the score predicted.';
COMMENT ON COLUMN marts.v_score_calibration.observed_amount IS 'Attributed to them within the horizon after placement, net of reversals (MAD).';
COMMENT ON COLUMN marts.v_score_calibration.predicted_rate IS 'predicted_amount / weighted_due.';
COMMENT ON COLUMN marts.v_score_calibration.observed_rate IS 'observed_amount / weighted_due: close to predicted_rate when the score is calibrated.';
COMMENT ON COLUMN marts.v_score_calibration.mean_likelihood IS 'Mean predicted likelihood of the decile''s dossiers.';
COMMENT ON COLUMN marts.v_score_calibration.horizon_months IS 'Months after placement the results count (selection.calibration.results_horizon_months).';
COMMENT ON COLUMN marts.v_score_calibration.vintages_count IS 'Placement months whose horizon had passed by the month end.';
COMMENT ON COLUMN marts.v_score_calibration.model_source IS 'Likelihood model of the latest selection run by the month: PRIOR (configured) or CALIBRATED (refitted on results).';
COMMENT ON COLUMN marts.v_score_calibration.fitted_month IS 'Latest selection month whose model was refitted on the programme''s results; empty while only the prior was used.';
COMMENT ON COLUMN marts.v_score_calibration.computed_at IS 'When the row was computed (UTC).';

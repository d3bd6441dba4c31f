-- The score calibration of the report month, by decile (param: month first day).
SELECT decile, dossiers_count, weighted_due, predicted_amount, observed_amount, predicted_rate, observed_rate,
       horizon_months, vintages_count, model_source, fitted_month
FROM marts.kpi_score_calibration
WHERE as_of_month = CAST(? AS DATE)
ORDER BY decile

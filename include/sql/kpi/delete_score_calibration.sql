-- The score calibration stated at the end of one month (replaced by each load). Parameter: as_of_month.
DELETE FROM marts.kpi_score_calibration WHERE as_of_month = CAST(? AS DATE)

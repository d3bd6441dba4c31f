-- Remove one month's cohort outcomes (param: month first day).
DELETE FROM marts.kpi_cohort_month WHERE as_of_month = CAST(? AS DATE)

-- How many rows the latest-month cohort snapshot marts.kpi_cohort_outcome holds (no parameters).
SELECT count(*) FROM marts.kpi_cohort_outcome

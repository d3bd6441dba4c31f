-- marts.kpi_cohort_outcome holds only the latest month loaded: emptied before it is copied again.
DELETE FROM marts.kpi_cohort_outcome

-- The agency effects stated at the end of one month (replaced by each load). Parameter: as_of_month.
DELETE FROM marts.kpi_agency_effect WHERE as_of_month = CAST(? AS DATE)

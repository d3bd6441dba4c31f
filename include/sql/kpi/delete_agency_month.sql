-- Remove one month's agency activity rows (param: month first day).
DELETE FROM marts.kpi_agency_month WHERE month = CAST(? AS DATE)

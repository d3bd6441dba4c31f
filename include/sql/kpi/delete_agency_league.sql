-- Remove one month's agency league (param: month first day).
DELETE FROM marts.kpi_agency_league WHERE as_of_month = CAST(? AS DATE)

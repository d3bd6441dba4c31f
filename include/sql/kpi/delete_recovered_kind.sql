-- Remove one month's recovered-by-kind rows (param: month first day).
DELETE FROM marts.kpi_recovered_kind WHERE month = CAST(? AS DATE)

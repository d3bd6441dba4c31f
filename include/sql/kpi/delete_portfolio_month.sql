-- Remove one month's portfolio coverage rows (param: month first day).
DELETE FROM marts.kpi_portfolio_month WHERE month = CAST(? AS DATE)

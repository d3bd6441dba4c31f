-- Remove one month's dossier positions before they are rebuilt (params: month first day).
DELETE FROM marts.fact_dossier_month WHERE as_of_month = CAST(? AS DATE)

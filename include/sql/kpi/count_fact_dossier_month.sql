-- How many dossier positions marts.fact_dossier_month holds for a month end (param: month first day).
SELECT count(*) FROM marts.fact_dossier_month WHERE as_of_month = ?

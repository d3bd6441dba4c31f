-- Whether a month's KPIs were loaded, and the latest month loaded (recouvra.kpi.load_kpis keeps a
-- month loaded before a later one). Parameter: the month (first day).
SELECT
    (SELECT count(*) FROM marts.fact_dossier_month WHERE as_of_month = ?) AS month_rows,
    (SELECT max(as_of_month) FROM marts.fact_dossier_month) AS latest_month

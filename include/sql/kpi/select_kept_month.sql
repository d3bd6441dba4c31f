-- The month-end totals of a month already loaded, from its cohort rows, and when they were computed
-- (the report of a month kept as loaded). Parameter: the month (first day).
SELECT
    COALESCE(SUM(dossiers_count), 0),
    COALESCE(SUM(assigned_amount), 0),
    COALESCE(SUM(recovered_to_date), 0),
    COALESCE(SUM(open_amount), 0),
    COALESCE(SUM(commission_to_date), 0),
    MAX(computed_at)
FROM marts.kpi_cohort_month
WHERE as_of_month = ?

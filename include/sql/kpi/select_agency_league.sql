-- The league of agencies at the end of a month: the month's cohort outcomes summed per agency
-- (param: month first day). The 90-day recovery keeps only cohorts whose 90 days have passed, with
-- their assigned amount as denominator. Columns as recouvra.kpi.LEAGUE_COLUMNS.
SELECT c.as_of_month, c.agency_code,
       SUM(c.dossiers_count) AS dossiers_count,
       SUM(c.assigned_amount) AS assigned_amount,
       SUM(c.recovered_to_date) AS recovered_to_date,
       SUM(CASE WHEN c.recovered_90d IS NOT NULL THEN c.assigned_amount ELSE 0 END) AS assigned_90d,
       SUM(c.recovered_90d) AS recovered_90d,
       SUM(c.open_amount) AS open_amount,
       SUM(c.commission_to_date) AS commission_to_date,
       SUM(c.dossiers_worked) AS dossiers_worked,
       SUM(c.dossiers_right_party_contact) AS dossiers_right_party_contact,
       SUM(c.dossiers_committed) AS dossiers_committed,
       SUM(c.promises_count) AS promises_count,
       SUM(c.promises_kept) AS promises_kept,
       SUM(c.plans_requested) AS plans_requested,
       SUM(c.plans_signed) AS plans_signed,
       SUM(c.plans_started) AS plans_started,
       SUM(c.plans_kept) AS plans_kept,
       SUM(c.dossiers_located) AS dossiers_located,
       SUM(c.dossiers_assets_found) AS dossiers_assets_found,
       SUM(c.dossiers_data_updated) AS dossiers_data_updated,
       SUM(c.dossiers_paying) AS dossiers_paying,
       SUM(c.dossiers_paid_in_full) AS dossiers_paid_in_full
FROM marts.kpi_cohort_month AS c
WHERE c.as_of_month = CAST(? AS DATE)
GROUP BY c.as_of_month, c.agency_code
ORDER BY c.agency_code

-- Points of the recovery curves at the end of a month: every vintage placed by then, per agency,
-- segment and region (param: month first day). Columns as recouvra.kpi.VINTAGE_COLUMNS.
SELECT f.agency_code, f.placement_month, f.segment, f.region, f.months_since_placement,
       COUNT(*) AS dossiers_count,
       SUM(f.assigned_amount) AS assigned_amount,
       SUM(f.attributed_to_date) AS recovered_amount
FROM marts.fact_dossier_month AS f
WHERE f.as_of_month = CAST(? AS DATE)
GROUP BY f.agency_code, f.placement_month, f.segment, f.region, f.months_since_placement
ORDER BY f.agency_code, f.placement_month, f.segment, f.region

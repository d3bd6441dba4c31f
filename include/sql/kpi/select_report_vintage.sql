-- Recovery curves for the monthly report: per agency and vintage, summed over segments and regions,
-- every point known at the end of the report month (param: the month as year * 12 + month number).
SELECT v.agency_code, v.placement_month, v.months_since_placement,
       SUM(v.assigned_amount) AS assigned_amount, SUM(v.recovered_amount) AS recovered_amount
FROM marts.v_recovery_vintage AS v
WHERE EXTRACT(YEAR FROM v.placement_month) * 12 + EXTRACT(MONTH FROM v.placement_month)
      + v.months_since_placement <= CAST(? AS INTEGER)
GROUP BY v.agency_code, v.placement_month, v.months_since_placement
ORDER BY v.agency_code, v.placement_month, v.months_since_placement

-- Remove the vintage points that describe the end of one month: placement month + months since
-- placement = that month (param: the month as year * 12 + month number).
DELETE FROM marts.kpi_recovery_vintage
WHERE EXTRACT(YEAR FROM placement_month) * 12 + EXTRACT(MONTH FROM placement_month) + months_since_placement
      = CAST(? AS INTEGER)

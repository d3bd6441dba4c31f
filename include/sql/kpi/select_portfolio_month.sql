-- Coverage of the portfolio and the amount remaining to recover at the end of a month, per segment
-- and region (params: month first day, month last day). The portfolio is the month's selection
-- (core.selection_decision), each debtor as its latest run of the month decided it (a top-up decides
-- again on the debtors without a dossier of the month, and on debtors new since); placed dossiers are those open at the month end (see
-- select_agency_month.sql). Columns as recouvra.kpi.PORTFOLIO_COLUMNS.
WITH p AS (
    SELECT CAST(? AS DATE) AS month_start, CAST(? AS DATE) AS month_end
),
port AS (
    SELECT COALESCE(s.segment, 'NONE') AS segment, COALESCE(s.region, 'UNKNOWN') AS region,
           COUNT(*) AS debtors,
           SUM(CASE WHEN s.decision <> 'EXCLUDED' THEN 1 ELSE 0 END) AS debtors_eligible,
           SUM(s.total_due) AS portfolio_amount,
           SUM(CASE WHEN s.decision <> 'EXCLUDED' THEN s.total_due ELSE 0 END) AS eligible_amount
    FROM core.selection_decision AS s
    CROSS JOIN p
    WHERE s.selection_month = p.month_start
      AND s.selection_seq = (SELECT max(x.selection_seq) FROM core.selection_decision AS x
                             WHERE x.selection_month = s.selection_month AND x.debtor_id = s.debtor_id)
    GROUP BY COALESCE(s.segment, 'NONE'), COALESCE(s.region, 'UNKNOWN')
),
pos AS (
    SELECT f.segment, f.region, f.debtor_id, f.assigned_amount, f.open_amount, f.attributed_to_date,
           CASE WHEN (r.recall_date IS NULL OR r.recall_date > p.month_end)
                     AND NOT (d.status = 'CLOSED' AND d.status_date <= p.month_end)
                THEN 1 ELSE 0 END AS is_open
    FROM marts.fact_dossier_month AS f
    JOIN core.dossier AS d ON d.dossier_id = f.dossier_id
    CROSS JOIN p
    LEFT JOIN core.dossier_recall AS r ON r.dossier_id = f.dossier_id
    WHERE f.as_of_month = p.month_start
),
placed AS (
    SELECT segment, region,
           COUNT(DISTINCT CASE WHEN is_open = 1 THEN debtor_id END) AS debtors_placed,
           SUM(CASE WHEN is_open = 1 THEN assigned_amount ELSE 0 END) AS placed_amount,
           SUM(CASE WHEN is_open = 1 THEN open_amount ELSE 0 END) AS remaining_open_amount,
           SUM(attributed_to_date) AS recovered_to_date
    FROM pos
    GROUP BY segment, region
),
grain AS (
    SELECT segment, region FROM port
    UNION
    SELECT segment, region FROM placed
)
SELECT p.month_start AS month, g.segment, g.region,
       COALESCE(port.debtors, 0) AS debtors_in_portfolio,
       COALESCE(port.debtors_eligible, 0) AS debtors_eligible,
       COALESCE(placed.debtors_placed, 0) AS debtors_placed,
       COALESCE(port.portfolio_amount, 0) AS portfolio_amount,
       COALESCE(port.eligible_amount, 0) AS eligible_amount,
       COALESCE(placed.placed_amount, 0) AS placed_amount,
       COALESCE(placed.recovered_to_date, 0) AS recovered_to_date,
       COALESCE(placed.remaining_open_amount, 0) AS remaining_open_amount
FROM grain AS g
CROSS JOIN p
LEFT JOIN port ON port.segment = g.segment AND port.region = g.region
LEFT JOIN placed ON placed.segment = g.segment AND placed.region = g.region
ORDER BY g.segment, g.region

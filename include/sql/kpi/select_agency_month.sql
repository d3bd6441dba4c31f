-- Activity, collections and commission per agency in a calendar month (params: month first day,
-- month last day). Agencies: every agency holding a dossier placed by the month end.
-- A dossier is open at the month end when placed by then, not recalled by then and not CLOSED by then.
-- Columns as recouvra.kpi.AGENCY_MONTH_COLUMNS.
WITH p AS (
    SELECT CAST(? AS DATE) AS month_start, CAST(? AS DATE) AS month_end
),
dos AS (
    SELECT d.dossier_id, d.agency_code, d.assignment_month, d.total_due,
           CASE WHEN (r.recall_date IS NULL OR r.recall_date > p.month_end)
                     AND NOT (d.status = 'CLOSED' AND d.status_date <= p.month_end)
                THEN 1 ELSE 0 END AS is_open,
           CASE WHEN r.recall_date >= p.month_start AND r.recall_date <= p.month_end THEN 1 ELSE 0 END
               AS recalled_in_month
    FROM core.dossier AS d
    CROSS JOIN p
    LEFT JOIN core.dossier_recall AS r ON r.dossier_id = d.dossier_id
    WHERE d.assignment_month <= p.month_start
),
held AS (
    SELECT dos.agency_code,
           SUM(dos.is_open) AS dossiers_open,
           SUM(CASE WHEN dos.assignment_month = p.month_start THEN 1 ELSE 0 END) AS dossiers_assigned,
           SUM(dos.recalled_in_month) AS dossiers_recalled,
           SUM(CASE WHEN dos.assignment_month = p.month_start THEN dos.total_due ELSE 0 END) AS assigned_amount
    FROM dos
    CROSS JOIN p
    GROUP BY dos.agency_code
),
open_money AS (
    SELECT f.agency_code, SUM(f.open_amount) AS open_amount
    FROM marts.fact_dossier_month AS f
    JOIN dos ON dos.dossier_id = f.dossier_id AND dos.is_open = 1
    CROSS JOIN p
    WHERE f.as_of_month = p.month_start
    GROUP BY f.agency_code
),
actions AS (
    SELECT a.agency_code, COUNT(*) AS actions_count
    FROM core.agency_action AS a
    CROSS JOIN p
    WHERE a.action_date >= p.month_start AND a.action_date <= p.month_end
    GROUP BY a.agency_code
),
reported AS (
    SELECT ap.agency_code, SUM(ap.amount) AS reported_amount,
           SUM(CASE WHEN m.payment_id IS NOT NULL THEN ap.amount ELSE 0 END) AS matched_amount
    FROM core.agency_payment AS ap
    CROSS JOIN p
    LEFT JOIN core.payment_match AS m ON m.agency_code = ap.agency_code AND m.payment_id = ap.payment_id
    WHERE ap.payment_date >= p.month_start AND ap.payment_date <= p.month_end
    GROUP BY ap.agency_code
),
attributed AS (
    SELECT a.agency_code, SUM(a.amount) AS attributed_in_month
    FROM core.attribution AS a
    CROSS JOIN p
    WHERE a.attribution_month = p.month_start
    GROUP BY a.agency_code
),
commission AS (
    SELECT s.agency_code, SUM(s.commission_this_month) AS commission_in_month
    FROM core.commission_statement AS s
    CROSS JOIN p
    WHERE s.statement_month = p.month_start
    GROUP BY s.agency_code
)
SELECT h.agency_code, p.month_start AS month, h.dossiers_open, h.dossiers_assigned, h.dossiers_recalled,
       h.assigned_amount, COALESCE(o.open_amount, 0) AS open_amount,
       COALESCE(ac.actions_count, 0) AS actions_count,
       COALESCE(rp.reported_amount, 0) AS reported_payments_amount,
       COALESCE(rp.matched_amount, 0) AS matched_payments_amount,
       COALESCE(atr.attributed_in_month, 0) AS attributed_in_month,
       COALESCE(cm.commission_in_month, 0) AS commission_in_month
FROM held AS h
CROSS JOIN p
LEFT JOIN open_money AS o ON o.agency_code = h.agency_code
LEFT JOIN actions AS ac ON ac.agency_code = h.agency_code
LEFT JOIN reported AS rp ON rp.agency_code = h.agency_code
LEFT JOIN attributed AS atr ON atr.agency_code = h.agency_code
LEFT JOIN commission AS cm ON cm.agency_code = h.agency_code
ORDER BY h.agency_code

-- Outcomes of each cohort (agency x placement month x segment x region) as of the end of a month
-- (params: month first day, month last day, promise grace days). Money and the dossier grain come
-- from marts.fact_dossier_month of the month (load it first); events count when dated by the month
-- end (actions, contact observations) or received by it (plans); payments count when attributed in a
-- statement month up to the month. Only counts and sums here: rates are divided exactly in Python.
-- Columns as recouvra.kpi.COHORT_COLUMNS.
WITH p AS (
    SELECT CAST(? AS DATE) AS month_start, CAST(? AS DATE) AS month_end, CAST(? AS INTEGER) AS grace_days
),
d AS (
    SELECT f.dossier_id, f.agency_code, f.placement_month, f.segment, f.region, f.assigned_amount,
           f.attributed_to_date, f.open_amount, f.commission_to_date, o.assignment_start
    FROM marts.fact_dossier_month AS f
    JOIN core.dossier AS o ON o.dossier_id = f.dossier_id
    CROSS JOIN p
    WHERE f.as_of_month = p.month_start
),
att AS (
    SELECT a.dossier_id, a.amount, a.payment_date
    FROM core.attribution AS a
    CROSS JOIN p
    WHERE a.attribution_month <= p.month_start
),
early AS (
    SELECT d.dossier_id,
           SUM(CASE WHEN att.payment_date <= d.assignment_start + 30 THEN att.amount ELSE 0 END) AS r30,
           SUM(CASE WHEN att.payment_date <= d.assignment_start + 60 THEN att.amount ELSE 0 END) AS r60,
           SUM(CASE WHEN att.payment_date <= d.assignment_start + 90 THEN att.amount ELSE 0 END) AS r90
    FROM d
    JOIN att ON att.dossier_id = d.dossier_id
    GROUP BY d.dossier_id
),
act AS (
    SELECT a.dossier_id,
           MAX(CASE WHEN a.outcome IN ('RIGHT_PARTY_CONTACT', 'PROMISE_TO_PAY', 'REFUSAL', 'DISPUTE')
                    THEN 1 ELSE 0 END) AS reached,
           MAX(CASE WHEN a.outcome = 'ASSETS_FOUND' THEN 1 ELSE 0 END) AS assets,
           MAX(CASE WHEN a.outcome = 'PROMISE_TO_PAY' THEN 1 ELSE 0 END) AS promised
    FROM core.agency_action AS a
    CROSS JOIN p
    WHERE a.action_date <= p.month_end
    GROUP BY a.dossier_id
),
cu AS (
    SELECT c.dossier_id,
           MAX(CASE WHEN c.field IN ('ADDRESS', 'CITY', 'PHONE', 'EMAIL') THEN 1 ELSE 0 END) AS contact,
           MAX(CASE WHEN c.field = 'ASSET' THEN 1 ELSE 0 END) AS asset,
           MAX(CASE WHEN c.apply_status = 'APPLIED' THEN 1 ELSE 0 END) AS applied
    FROM core.agency_contact_update AS c
    CROSS JOIN p
    WHERE c.observed_date <= p.month_end
    GROUP BY c.dossier_id
),
promise AS (
    SELECT a.dossier_id, a.agency_code, a.action_id, a.promise_amount,
           COALESCE(SUM(att.amount), 0) AS paid
    FROM core.agency_action AS a
    CROSS JOIN p
    LEFT JOIN att
      ON att.dossier_id = a.dossier_id
     AND att.payment_date >= a.action_date
     AND att.payment_date <= a.promise_date + p.grace_days
    WHERE a.outcome = 'PROMISE_TO_PAY'
      AND a.action_date <= p.month_end
      AND a.promise_date + p.grace_days <= p.month_end
    GROUP BY a.dossier_id, a.agency_code, a.action_id, a.promise_amount
),
promise_agg AS (
    SELECT dossier_id, COUNT(*) AS promises,
           SUM(CASE WHEN paid >= promise_amount THEN 1 ELSE 0 END) AS kept
    FROM promise
    GROUP BY dossier_id
),
plan_known AS (
    SELECT pl.agency_code, pl.plan_id, pl.dossier_id,
           MAX(CASE WHEN pl.status = 'SIGNED' THEN 1 ELSE 0 END) AS signed,
           MAX(CASE WHEN pl.status = 'SIGNED' THEN pl.request_date END) AS request_date,
           MAX(CASE WHEN pl.status = 'SIGNED' THEN pl.installments END) AS installments,
           MAX(CASE WHEN pl.status = 'SIGNED' THEN pl.first_due_date END) AS first_due_date,
           MAX(CASE WHEN pl.status = 'SIGNED' THEN pl.total_amount END) AS total_amount
    FROM core.agency_plan AS pl
    JOIN core.return_file AS rf ON rf.return_file_id = pl.return_file_id
    CROSS JOIN p
    WHERE CAST(rf.received_at AS DATE) <= p.month_end
    GROUP BY pl.agency_code, pl.plan_id, pl.dossier_id
),
plan_due AS (
    SELECT k.agency_code, k.plan_id, k.dossier_id, k.request_date, k.installments, k.total_amount,
           CASE WHEN k.first_due_date > p.month_end THEN 0
                ELSE LEAST(k.installments, CAST(
                    (EXTRACT(YEAR FROM p.month_end) - EXTRACT(YEAR FROM k.first_due_date)) * 12
                    + EXTRACT(MONTH FROM p.month_end) - EXTRACT(MONTH FROM k.first_due_date)
                    + CASE WHEN EXTRACT(DAY FROM p.month_end) >= EXTRACT(DAY FROM k.first_due_date)
                           THEN 1 ELSE 0 END AS INTEGER))
           END AS instalments_due
    FROM plan_known AS k
    CROSS JOIN p
    WHERE k.signed = 1
),
plan_paid AS (
    SELECT u.agency_code, u.plan_id, u.dossier_id, u.installments, u.total_amount, u.instalments_due,
           COALESCE(SUM(att.amount), 0) AS paid
    FROM plan_due AS u
    CROSS JOIN p
    LEFT JOIN att
      ON att.dossier_id = u.dossier_id
     AND att.payment_date >= u.request_date
     AND att.payment_date <= p.month_end
    WHERE u.instalments_due > 0
    GROUP BY u.agency_code, u.plan_id, u.dossier_id, u.installments, u.total_amount, u.instalments_due
),
plan_req AS (
    SELECT dossier_id, COUNT(*) AS requested, SUM(signed) AS signed
    FROM plan_known
    GROUP BY dossier_id
),
plan_kept AS (
    SELECT dossier_id, COUNT(*) AS due,
           SUM(CASE WHEN paid * installments >= total_amount * instalments_due THEN 1 ELSE 0 END) AS kept
    FROM plan_paid
    GROUP BY dossier_id
)
SELECT p.month_start AS as_of_month, d.agency_code, d.placement_month, d.segment, d.region,
       p.month_end AS as_of_date,
       COUNT(*) AS dossiers_count,
       SUM(d.assigned_amount) AS assigned_amount,
       CASE WHEN MAX(d.assignment_start) + 30 <= p.month_end THEN SUM(COALESCE(e.r30, 0)) END AS recovered_30d,
       CASE WHEN MAX(d.assignment_start) + 60 <= p.month_end THEN SUM(COALESCE(e.r60, 0)) END AS recovered_60d,
       CASE WHEN MAX(d.assignment_start) + 90 <= p.month_end THEN SUM(COALESCE(e.r90, 0)) END AS recovered_90d,
       SUM(d.attributed_to_date) AS recovered_to_date,
       SUM(CASE WHEN act.dossier_id IS NOT NULL THEN 1 ELSE 0 END) AS dossiers_worked,
       SUM(COALESCE(act.reached, 0)) AS dossiers_right_party_contact,
       SUM(CASE WHEN act.promised = 1 OR pr.requested > 0 THEN 1 ELSE 0 END) AS dossiers_committed,
       SUM(COALESCE(pa.promises, 0)) AS promises_count,
       SUM(COALESCE(pa.kept, 0)) AS promises_kept,
       SUM(COALESCE(pr.requested, 0)) AS plans_requested,
       SUM(COALESCE(pr.signed, 0)) AS plans_signed,
       SUM(COALESCE(pk.due, 0)) AS plans_started,
       SUM(COALESCE(pk.kept, 0)) AS plans_kept,
       SUM(CASE WHEN act.reached = 1 OR cu.contact = 1 THEN 1 ELSE 0 END) AS dossiers_located,
       SUM(CASE WHEN act.assets = 1 OR cu.asset = 1 THEN 1 ELSE 0 END) AS dossiers_assets_found,
       SUM(COALESCE(cu.applied, 0)) AS dossiers_data_updated,
       SUM(CASE WHEN d.attributed_to_date > 0 THEN 1 ELSE 0 END) AS dossiers_paying,
       SUM(CASE WHEN d.attributed_to_date >= d.assigned_amount THEN 1 ELSE 0 END) AS dossiers_paid_in_full,
       SUM(d.open_amount) AS open_amount,
       SUM(d.commission_to_date) AS commission_to_date
FROM d
CROSS JOIN p
LEFT JOIN early AS e ON e.dossier_id = d.dossier_id
LEFT JOIN act ON act.dossier_id = d.dossier_id
LEFT JOIN cu ON cu.dossier_id = d.dossier_id
LEFT JOIN promise_agg AS pa ON pa.dossier_id = d.dossier_id
LEFT JOIN plan_req AS pr ON pr.dossier_id = d.dossier_id
LEFT JOIN plan_kept AS pk ON pk.dossier_id = d.dossier_id
GROUP BY p.month_start, p.month_end, d.agency_code, d.placement_month, d.segment, d.region
ORDER BY d.agency_code, d.placement_month, d.segment, d.region

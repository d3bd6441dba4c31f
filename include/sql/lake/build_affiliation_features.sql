-- Portfolio features of each affiliation number on $as_of (DuckDB, over the lake's current-state views
-- and the view outstanding = build_outstanding_by_period.sql): what it owes by kind, how old, its titles
-- and their 4-year limit, its payment history, plans, proceedings and disputes. Centimes.
WITH owed AS (
    SELECT affiliation_no,
           sum(principal_open) AS principal_open,
           sum(surcharge_open) AS surcharge_open,
           sum(penalty_open) AS penalty_open,
           count(*) AS unpaid_periods,
           min(period) AS oldest_unpaid_period,
           max(period) AS newest_unpaid_period,
           count(*) FILTER (WHERE title_id IS NOT NULL) AS titled_periods
    FROM outstanding
    GROUP BY affiliation_no
),
titles_open AS (
    SELECT t.affiliation_no, min(t.notified_on) AS oldest_title_notified_on
    FROM titles t
    WHERE t.notified_on IS NOT NULL
      AND t.title_id IN (SELECT title_id FROM outstanding WHERE title_id IS NOT NULL)
    GROUP BY t.affiliation_no
),
pay AS (
    SELECT affiliation_no,
           count(*) FILTER (WHERE kind = 'PAYMENT' AND payment_date > $as_of - INTERVAL 12 MONTH) AS payments_12m,
           coalesce(sum(amount_centimes) FILTER (WHERE payment_date > $as_of - INTERVAL 12 MONTH), 0) AS paid_12m,
           count(*) FILTER (WHERE kind = 'REVERSAL') AS reversals,
           max(payment_date) FILTER (WHERE kind = 'PAYMENT') AS last_payment_date
    FROM ledger_payments
    WHERE payment_date <= $as_of
    GROUP BY affiliation_no
),
plans AS (
    SELECT affiliation_no,
           count(*) AS plans,
           count(*) FILTER (WHERE status = 'BROKEN') AS broken_plans,
           count(*) FILTER (WHERE status = 'ACTIVE') AS active_plans,
           count(*) FILTER (WHERE status = 'HONOURED') AS honoured_plans
    FROM payment_plans
    WHERE signed_on <= $as_of
    GROUP BY affiliation_no
),
proc AS (
    SELECT affiliation_no,
           bool_or(closed_on IS NULL OR closed_on > $as_of) AS in_legal_proceeding,
           bool_or(kind IN ('RECEIVERSHIP', 'LIQUIDATION') AND (closed_on IS NULL OR closed_on > $as_of))
               AS in_insolvency
    FROM legal_proceedings
    WHERE opened_on <= $as_of
    GROUP BY affiliation_no
),
disp AS (
    SELECT affiliation_no, count(*) AS open_disputes
    FROM disputes
    WHERE opened_on <= $as_of AND (resolved_on IS NULL OR resolved_on > $as_of)
    GROUP BY affiliation_no
)
SELECT e.affiliation_no,
       e.status AS employer_status,
       coalesce(o.principal_open, 0) AS principal_open,
       coalesce(o.surcharge_open, 0) AS surcharge_open,
       coalesce(o.penalty_open, 0) AS penalty_open,
       coalesce(o.principal_open + o.surcharge_open + o.penalty_open, 0) AS total_open,
       coalesce(o.unpaid_periods, 0) AS unpaid_periods,
       o.oldest_unpaid_period,
       o.newest_unpaid_period,
       coalesce(o.titled_periods, 0) AS titled_periods,
       t.oldest_title_notified_on,
       CASE WHEN t.oldest_title_notified_on IS NOT NULL
            THEN date_diff('day', $as_of, CAST(t.oldest_title_notified_on + to_years($title_limit_years) AS DATE))
       END AS title_days_left,
       coalesce(p.payments_12m, 0) AS payments_12m,
       coalesce(p.paid_12m, 0) AS paid_12m,
       coalesce(p.reversals, 0) AS reversals,
       p.last_payment_date,
       coalesce(pl.plans, 0) AS plans,
       coalesce(pl.broken_plans, 0) AS broken_plans,
       coalesce(pl.active_plans, 0) AS active_plans,
       coalesce(pl.honoured_plans, 0) AS honoured_plans,
       coalesce(pr.in_legal_proceeding, false) AS in_legal_proceeding,
       coalesce(pr.in_insolvency, false) AS in_insolvency,
       coalesce(d.open_disputes, 0) AS open_disputes
FROM employers e
LEFT JOIN owed o USING (affiliation_no)
LEFT JOIN titles_open t USING (affiliation_no)
LEFT JOIN pay p USING (affiliation_no)
LEFT JOIN plans pl USING (affiliation_no)
LEFT JOIN proc pr USING (affiliation_no)
LEFT JOIN disp d USING (affiliation_no)

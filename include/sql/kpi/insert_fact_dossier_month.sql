-- Position of every dossier placed up to a month at the end of that month (params: month first day,
-- month last day). Attribution counts by statement month (attribution_month), the month in which a
-- payment first counts for the agency, so that a month's figures agree with its commission statement
-- and do not move when a late ledger entry is attributed afterwards. Money identity per row:
-- assigned = attributed to date + open + recalled + closed + settled otherwise (a CHECK enforces it).
-- closed_amount: what was still open on a dossier the fund CLOSED without recall by the month end.
-- settled_other_amount: no core table records it yet (reconciliation stage), so 0.
INSERT INTO marts.fact_dossier_month (
    as_of_month, dossier_id, agency_code, debtor_id, segment, region, placement_month,
    months_since_placement, assigned_amount, attributed_in_month, attributed_to_date, recalled_amount,
    closed_amount, settled_other_amount, open_amount, commission_to_date, placement_tier
)
WITH p AS (
    SELECT CAST(? AS DATE) AS month_start, CAST(? AS DATE) AS month_end
),
att AS (
    SELECT a.dossier_id,
           SUM(CASE WHEN a.attribution_month = p.month_start THEN a.amount ELSE 0 END) AS in_month,
           SUM(a.amount) AS to_date
    FROM core.attribution AS a
    CROSS JOIN p
    WHERE a.attribution_month <= p.month_start
    GROUP BY a.dossier_id
),
added AS (  -- months added by a published supplementary file, the agency's from added_on (issue 17.3)
    SELECT x.dossier_id, SUM(x.amount_due) AS amount
    FROM core.dossier_addition AS x
    CROSS JOIN p
    WHERE x.file_name IS NOT NULL AND x.added_on <= p.month_end
    GROUP BY x.dossier_id
),
com AS (
    SELECT s.dossier_id, s.commission_paid_to_date
    FROM core.commission_statement AS s
    CROSS JOIN p
    WHERE s.statement_month = (
        SELECT MAX(s2.statement_month)
        FROM core.commission_statement AS s2
        WHERE s2.dossier_id = s.dossier_id AND s2.statement_month <= p.month_start
    )
),
pos AS (
    SELECT d.dossier_id, d.agency_code, d.debtor_id, d.segment, COALESCE(d.region, 'UNKNOWN') AS region,
           d.assignment_month, d.total_due + COALESCE(added.amount, 0) AS total_due,
           COALESCE(d.placement_tier, 1) AS placement_tier,
           COALESCE(att.in_month, 0) AS in_month,
           COALESCE(att.to_date, 0) AS to_date,
           -- What the agency handed back: the rest of what was assigned, as the ledger is known at the
           -- month end (a payment dated by the recall but recorded after it is recovered, not recalled;
           -- core.dossier_recall.recalled_amount keeps what was known on the recall's day).
           CASE WHEN r.recall_date <= p.month_end THEN d.total_due + COALESCE(added.amount, 0) - COALESCE(att.to_date, 0)
                ELSE 0 END
               AS recalled,
           CASE WHEN d.status = 'CLOSED' AND d.status_date <= p.month_end
                     AND (r.recall_date IS NULL OR r.recall_date > p.month_end)
                THEN d.total_due + COALESCE(added.amount, 0) - COALESCE(att.to_date, 0) ELSE 0 END AS closed,
           COALESCE(com.commission_paid_to_date, 0) AS commission,
           CAST((EXTRACT(YEAR FROM p.month_start) - EXTRACT(YEAR FROM d.assignment_month)) * 12
                + EXTRACT(MONTH FROM p.month_start) - EXTRACT(MONTH FROM d.assignment_month) AS INTEGER)
               AS months_since_placement
    FROM core.dossier AS d
    CROSS JOIN p
    LEFT JOIN att ON att.dossier_id = d.dossier_id
    LEFT JOIN added ON added.dossier_id = d.dossier_id
    LEFT JOIN core.dossier_recall AS r ON r.dossier_id = d.dossier_id
    LEFT JOIN com ON com.dossier_id = d.dossier_id
    WHERE d.assignment_month <= p.month_start
)
SELECT p.month_start, pos.dossier_id, pos.agency_code, pos.debtor_id, pos.segment, pos.region,
       pos.assignment_month, pos.months_since_placement, pos.total_due, pos.in_month, pos.to_date,
       pos.recalled, pos.closed, 0, pos.total_due - pos.to_date - pos.recalled - pos.closed, pos.commission,
       pos.placement_tier
FROM pos
CROSS JOIN p

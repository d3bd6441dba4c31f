-- Recovered by kind per agency and statement month (param: month first day): what the agency's
-- attributions settled of each kind (core.attribution_kind), counted in their attribution_month as
-- marts.kpi_agency_month counts attributed_in_month, in the month and to date. Agencies: every agency
-- holding a dossier placed by the month. Columns as recouvra.kpi.RECOVERED_KIND_COLUMNS.
WITH p AS (
    SELECT CAST(? AS DATE) AS month_start
),
agencies AS (
    SELECT DISTINCT d.agency_code
    FROM core.dossier AS d
    CROSS JOIN p
    WHERE d.assignment_month <= p.month_start
),
kinds AS (
    SELECT a.agency_code,
           SUM(CASE WHEN k.kind = 'PRINCIPAL' AND a.attribution_month = p.month_start THEN k.amount ELSE 0 END)
               AS principal_in_month,
           SUM(CASE WHEN k.kind = 'SURCHARGE' AND a.attribution_month = p.month_start THEN k.amount ELSE 0 END)
               AS surcharges_in_month,
           SUM(CASE WHEN k.kind = 'PENALTY' AND a.attribution_month = p.month_start THEN k.amount ELSE 0 END)
               AS penalties_in_month,
           SUM(CASE WHEN k.kind = 'PRINCIPAL' THEN k.amount ELSE 0 END) AS principal_to_date,
           SUM(CASE WHEN k.kind = 'SURCHARGE' THEN k.amount ELSE 0 END) AS surcharges_to_date,
           SUM(CASE WHEN k.kind = 'PENALTY' THEN k.amount ELSE 0 END) AS penalties_to_date
    FROM core.attribution_kind AS k
    JOIN core.attribution AS a ON a.ledger_payment_id = k.ledger_payment_id AND a.dossier_id = k.dossier_id
                              AND a.attribution_month = k.attribution_month
    CROSS JOIN p
    WHERE a.attribution_month <= p.month_start
    GROUP BY a.agency_code
)
SELECT g.agency_code, p.month_start AS month,
       COALESCE(k.principal_in_month, 0) AS principal_in_month,
       COALESCE(k.surcharges_in_month, 0) AS surcharges_in_month,
       COALESCE(k.penalties_in_month, 0) AS penalties_in_month,
       COALESCE(k.principal_in_month + k.surcharges_in_month + k.penalties_in_month, 0) AS recovered_in_month,
       COALESCE(k.principal_to_date, 0) AS principal_to_date,
       COALESCE(k.surcharges_to_date, 0) AS surcharges_to_date,
       COALESCE(k.penalties_to_date, 0) AS penalties_to_date,
       COALESCE(k.principal_to_date + k.surcharges_to_date + k.penalties_to_date, 0) AS recovered_to_date
FROM agencies AS g
CROSS JOIN p
LEFT JOIN kinds AS k ON k.agency_code = g.agency_code
ORDER BY g.agency_code

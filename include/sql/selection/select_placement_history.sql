-- Every dossier recalled before a day, with how it ended and what it recovered: the placement history
-- re-placement reads (recouvra.selection.replacement). closure_reason: the agency's latest accepted
-- closure of the dossier dated by the recall (what a FUND_DECISION followed); retired: its agency was
-- retired by the recall date. Parameter: the day (recalls dated before it).
SELECT
    d.dossier_id,
    d.debtor_id,
    d.affiliation_no,
    d.agency_code,
    COALESCE(d.placement_tier, 1) AS placement_tier,
    d.previous_dossier_id,
    r.recall_date,
    r.reason,
    (SELECT c.reason
     FROM core.agency_closure AS c
     WHERE c.dossier_id = d.dossier_id AND c.closure_date <= r.recall_date
     ORDER BY c.closure_date DESC, c.closure_id DESC
     LIMIT 1) AS closure_reason,
    COALESCE(a.retired_on <= r.recall_date, false) AS retired,
    COALESCE((SELECT sum(t.amount) FROM core.attribution AS t WHERE t.dossier_id = d.dossier_id), 0)
        AS recovered
FROM core.dossier AS d
JOIN core.dossier_recall AS r ON r.dossier_id = d.dossier_id
LEFT JOIN core.dim_agency AS a ON a.agency_code = d.agency_code
WHERE r.recall_date < ?
ORDER BY r.recall_date, d.dossier_id

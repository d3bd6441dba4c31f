-- Dossier positions for the agency effects (recouvra.effects): each dossier at every month end since its
-- placement, up to the month stated, with its stratum of the randomised allocation (region, segment,
-- score band of its selection; band 0 when no score card is recorded). Parameter: as_of_month.
SELECT
    f.dossier_id,
    f.agency_code,
    f.placement_month,
    f.region,
    f.segment,
    coalesce(b.score_band, 0) AS score_band,
    f.months_since_placement,
    f.assigned_amount,
    f.attributed_to_date
FROM marts.fact_dossier_month AS f
JOIN core.dossier AS d ON d.dossier_id = f.dossier_id
LEFT JOIN (
    SELECT selection_month, debtor_id, min(score_band) AS score_band
    FROM core.selection_score
    GROUP BY selection_month, debtor_id
) AS b ON b.selection_month = d.assignment_month AND b.debtor_id = d.debtor_id
WHERE f.as_of_month <= ?
ORDER BY f.placement_month, f.dossier_id, f.months_since_placement

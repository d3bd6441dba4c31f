-- Recovery by placement tier at the report month's end (issue 17.2), with the months added to dossiers by
-- published supplementary files by then (issue 17.3). Parameters: month first day, month last day.
SELECT t.placement_tier,
       sum(t.dossiers_count) AS dossiers_count,
       sum(t.assigned_amount) AS assigned_amount,
       sum(t.recovered_to_date) AS recovered_to_date,
       (SELECT count(DISTINCT x.dossier_id)
        FROM core.dossier_addition AS x
        JOIN core.dossier AS d ON d.dossier_id = x.dossier_id
        WHERE x.file_name IS NOT NULL AND x.added_on <= CAST(? AS DATE)
          AND COALESCE(d.placement_tier, 1) = t.placement_tier) AS dossiers_added_to,
       (SELECT COALESCE(sum(x.amount_due), 0)
        FROM core.dossier_addition AS x
        JOIN core.dossier AS d ON d.dossier_id = x.dossier_id
        WHERE x.file_name IS NOT NULL AND x.added_on <= CAST(? AS DATE)
          AND COALESCE(d.placement_tier, 1) = t.placement_tier) AS added_amount
FROM marts.v_recovery_tier AS t
WHERE t.as_of_month = CAST(? AS DATE)
GROUP BY t.placement_tier
ORDER BY t.placement_tier

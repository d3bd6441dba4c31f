-- Dossiers by placement tier (1 first placement, 2 and 3 re-placements with another agency).
SELECT COALESCE(placement_tier, 1) AS placement_tier, count(*) AS dossiers, sum(total_due) AS total_due
FROM core.dossier
GROUP BY COALESCE(placement_tier, 1)
ORDER BY 1

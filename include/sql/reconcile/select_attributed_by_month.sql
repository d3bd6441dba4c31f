-- Net attribution per dossier and statement month in which it first counts.
SELECT dossier_id, attribution_month, sum(amount) AS amount
FROM core.attribution
GROUP BY dossier_id, attribution_month
ORDER BY dossier_id, attribution_month

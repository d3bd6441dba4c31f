-- Recovered by kind: net attribution per dossier, statement month in which it counts and kind
-- (core.attribution_kind, whose rows carry their attribution row's attribution_month).
SELECT dossier_id, attribution_month, kind, sum(amount) AS amount
FROM core.attribution_kind
GROUP BY dossier_id, attribution_month, kind
ORDER BY dossier_id, attribution_month, kind

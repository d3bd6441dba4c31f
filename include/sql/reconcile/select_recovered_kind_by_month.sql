-- Recovered by kind: net attribution per dossier, statement month in which it first counts and kind
-- (core.attribution_kind with its row's attribution_month).
SELECT k.dossier_id, a.attribution_month, k.kind, sum(k.amount) AS amount
FROM core.attribution_kind AS k
JOIN core.attribution AS a ON a.ledger_payment_id = k.ledger_payment_id AND a.dossier_id = k.dossier_id
GROUP BY k.dossier_id, a.attribution_month, k.kind
ORDER BY k.dossier_id, a.attribution_month, k.kind

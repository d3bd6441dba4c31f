-- Recovered by kind, row by row, with the month its attribution row settles and the statement month it
-- counts in (settles_period NULL when the kind row has no attribution row of its entry, dossier and
-- month: the money-integrity audit names it).
SELECT k.ledger_payment_id, k.dossier_id, k.kind, k.amount, k.payment_date, a.settles_period,
       k.attribution_month
FROM core.attribution_kind AS k
LEFT JOIN core.attribution AS a
       ON a.ledger_payment_id = k.ledger_payment_id AND a.dossier_id = k.dossier_id
      AND a.attribution_month = k.attribution_month
ORDER BY k.dossier_id, k.payment_date, k.ledger_payment_id, k.attribution_month, k.kind

-- What some dossiers assign, per month and kind. Parameter: list of dossier_id.
SELECT dossier_id, period, kind, amount_due
FROM core.dossier_period
WHERE dossier_id IN (SELECT unnest(CAST(? AS VARCHAR[])))

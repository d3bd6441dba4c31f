-- What each dossier assigns per contribution month, all kinds together (a ledger payment settles a
-- month, not a kind).
SELECT dossier_id, period, sum(amount_due) AS amount_due
FROM core.dossier_period
GROUP BY dossier_id, period
ORDER BY dossier_id, period

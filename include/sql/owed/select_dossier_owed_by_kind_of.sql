-- select_dossier_owed_by_kind for some dossiers only. Parameters: dossier ids, dossier ids again.
SELECT dossier_id, period, kind, amount_due
FROM core.dossier_period
WHERE dossier_id IN (SELECT unnest(CAST(? AS VARCHAR[])))
UNION ALL
SELECT a.dossier_id, a.period, a.kind, a.amount_due
FROM core.dossier_addition AS a
WHERE a.file_name IS NOT NULL
  AND a.dossier_id IN (SELECT unnest(CAST(? AS VARCHAR[])))
  AND NOT EXISTS (SELECT 1 FROM core.dossier_period AS p
                  WHERE p.dossier_id = a.dossier_id AND p.period = a.period)
ORDER BY 1, 2, 3

-- A digest per dossier of what its months owe by kind (owed/select_dossier_owed_by_kind: its package's
-- months and those a published supplementary file added), md5 of one line per (month, kind) in order
-- (recouvra.reconcile_increment). Computed in the warehouse: the rows are never read into Python.
SELECT o.dossier_id,
       md5(string_agg(concat_ws('|', CAST(o.period AS VARCHAR), o.kind, CAST(o.amount_due AS VARCHAR)),
                      ';' ORDER BY o.period, o.kind, o.amount_due)) AS digest
FROM (
    SELECT dossier_id, period, kind, amount_due
    FROM core.dossier_period
    UNION ALL
    SELECT a.dossier_id, a.period, a.kind, a.amount_due
    FROM core.dossier_addition AS a
    WHERE a.file_name IS NOT NULL
      AND NOT EXISTS (SELECT 1 FROM core.dossier_period AS p
                      WHERE p.dossier_id = a.dossier_id AND p.period = a.period)
) AS o
GROUP BY o.dossier_id
ORDER BY o.dossier_id

-- What each dossier owes per contribution month and kind (recovered by kind): its package's months
-- (core.dossier_period) and the months a published supplementary detail file added that are not in its
-- package (core.dossier_addition), as select_dossier_owed and select_dossier_additions count them.
SELECT dossier_id, period, kind, amount_due
FROM core.dossier_period
UNION ALL
SELECT a.dossier_id, a.period, a.kind, a.amount_due
FROM core.dossier_addition AS a
WHERE a.file_name IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM core.dossier_period AS p
                  WHERE p.dossier_id = a.dossier_id AND p.period = a.period)
ORDER BY 1, 2, 3

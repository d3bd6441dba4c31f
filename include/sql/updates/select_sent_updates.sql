-- Updates already sent before a day (what each agency already knows). Parameter: day (exclusive).
SELECT dossier_id, field, value
FROM core.dossier_update
WHERE sent_on < CAST(? AS DATE)

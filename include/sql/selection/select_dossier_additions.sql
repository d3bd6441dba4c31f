-- Every month added to a dossier, with the day of its run and its file (NULL until published).
SELECT dossier_id, period, kind, amount_due, agency_code, added_on, file_name
FROM core.dossier_addition
ORDER BY dossier_id, period, kind

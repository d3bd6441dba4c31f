-- Months added to open dossiers by supplementary detail files: days, dossiers, rows, amount, and how
-- many rows were published.
SELECT count(DISTINCT added_on), count(DISTINCT dossier_id), count(*), COALESCE(sum(amount_due), 0),
       count(file_name)
FROM core.dossier_addition

-- Placement months before a selection month and the latest commission statement month, to tell
-- which months' results are in. Parameter: selection month.
SELECT d.assignment_month, count(*) AS dossiers,
       (SELECT max(statement_month) FROM core.commission_statement) AS last_statement
FROM core.dossier AS d
WHERE d.assignment_month < ?
GROUP BY d.assignment_month
ORDER BY d.assignment_month

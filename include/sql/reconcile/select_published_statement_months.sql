-- Latest commission statement month each agency has already received (file published).
SELECT agency_code, max(statement_month) AS statement_month
FROM core.commission_statement
WHERE file_name IS NOT NULL
GROUP BY agency_code

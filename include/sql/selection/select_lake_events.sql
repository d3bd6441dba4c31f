-- DuckDB over the lake: legal proceedings and payment plans with the fund of the affiliation numbers
-- in the registered view wanted (affiliation_no, owner).
SELECT w.owner, 'PROCEEDING' AS event, p.opened_on AS day, p.closed_on AS until
FROM legal_proceedings AS p
JOIN wanted AS w ON w.affiliation_no = p.affiliation_no
UNION ALL
SELECT w.owner, 'PLAN' AS event, p.signed_on AS day, NULL AS until
FROM payment_plans AS p
JOIN wanted AS w ON w.affiliation_no = p.affiliation_no
ORDER BY 1, 2, 3

-- DuckDB over the lake as of a day: payment plans with the fund of the affiliation numbers in the
-- registered view wanted (affiliation_no).
SELECT p.affiliation_no, p.plan_id, p.signed_on, p.installments, p.total_centimes
FROM payment_plans AS p
JOIN wanted AS w ON w.affiliation_no = p.affiliation_no
ORDER BY 1, 3, 2

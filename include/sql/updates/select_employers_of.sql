-- DuckDB over the lake as of a day: the fund's own record of the employers in the registered view
-- wanted (affiliation_no).
SELECT e.affiliation_no, e.address, e.city, e.phone, e.phone_2, e.email, e.legal_rep_name, e.status,
       CAST(e.updated_at AS DATE) AS changed_on
FROM employers AS e
JOIN wanted AS w ON w.affiliation_no = e.affiliation_no
ORDER BY 1

-- DuckDB over the lake: what the given affiliation numbers still owe per month and kind, from the
-- temp table outstanding (build_outstanding_by_period.sql) and the registered view wanted
-- (affiliation_no, owner), owner being a debtor or dossier key. Centimes.
SELECT w.owner, o.period, o.title_id, o.principal_open, o.surcharge_open, o.penalty_open
FROM outstanding AS o
JOIN wanted AS w ON w.affiliation_no = o.affiliation_no
ORDER BY w.owner, o.period, o.affiliation_no

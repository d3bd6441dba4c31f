-- Employers still active at the start of an advanced month, with the columns a change or a new
-- affiliation of the same entity copies. Ordered by key: the month's draws depend on nothing else.
SELECT affiliation_no, legal_name, legal_form, ice, rc_number, rc_court, if_number, cin, address, city,
       phone, phone_2, email, legal_rep_name, sector
FROM employers
WHERE status = 'ACTIVE'
ORDER BY affiliation_no

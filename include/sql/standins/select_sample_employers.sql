-- The employers of the synthetic source as matching records (name is the legal name), for the
-- matching sample export. Portable (SQLite, PostgreSQL).
SELECT affiliation_no, legal_name AS name, legal_form, ice, rc_number, rc_court,
       cin, address, city, phone, email, legal_rep_name
FROM employers

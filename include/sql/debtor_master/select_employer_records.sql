-- The lake's current employers as matching records, one per affiliation number (DuckDB, over the
-- lake's current-state views); no parameters. recency: the source's last update, as text.
SELECT affiliation_no AS record_id, affiliation_no, legal_name AS name, legal_form, ice,
rc_number, rc_court, cin, address, city, phone, phone_2, email, legal_rep_name,
if_number, sector, status, CAST(updated_at AS VARCHAR) AS recency FROM employers
ORDER BY affiliation_no

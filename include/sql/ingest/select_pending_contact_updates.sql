-- The PENDING contact updates loaded from one return file, oldest observation first (param:
-- return_file_id).
SELECT agency_code, update_id, debtor_id, field, value_normalised, observed_date, line_no
FROM core.agency_contact_update WHERE return_file_id = ? AND apply_status = 'PENDING'
ORDER BY observed_date, line_no

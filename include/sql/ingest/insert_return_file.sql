-- Register a judged return file with its counts and first file error; returns its return_file_id
-- (params: the 19 columns listed, in order).
INSERT INTO core.return_file (agency_code, file_name, file_type, file_date, seq, sha256,
size_bytes, received_at, processed_at, status, rows_received, rows_accepted, rows_rejected,
rows_duplicate, file_error_code, file_error_detail, warnings, ack_file_name, ack_number)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING return_file_id

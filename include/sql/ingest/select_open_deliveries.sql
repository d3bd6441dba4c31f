-- Registered files whose delivery was never recorded (delivered_at NULL): an earlier run's
-- acknowledgement step (deliver_acks) may have uploaded the acknowledgement and moved the file to
-- inbox/processed/ before its recording (record_acks) ran, so no later fetch finds the file again.
-- Files registered before V020 (ack_number NULL) are not held to it. Portable (DuckDB, PostgreSQL).
SELECT return_file_id, agency_code, file_name, ack_file_name, ack_number, status, rows_rejected
FROM core.return_file
WHERE delivered_at IS NULL AND ack_number IS NOT NULL
ORDER BY agency_code, return_file_id

-- The sha256 of the agency's first return file under a name, leaving out rows whose name was refused
-- (F001): first delivery wins (params: agency_code, file_name).
SELECT sha256 FROM core.return_file WHERE agency_code = ? AND file_name = ?
AND (file_error_code IS NULL OR file_error_code <> 'F001') ORDER BY return_file_id LIMIT 1

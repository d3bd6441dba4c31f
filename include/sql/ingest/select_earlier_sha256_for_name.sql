-- The sha256 of the agency's first return file under a name registered before a given one, leaving out
-- rows whose name was refused (F001) (params: agency_code, file_name, return_file_id). Replays the
-- judge's memory (F007) for a file rejected whole.
SELECT sha256 FROM core.return_file WHERE agency_code = ? AND file_name = ? AND return_file_id < ?
AND (file_error_code IS NULL OR file_error_code <> 'F001') ORDER BY return_file_id LIMIT 1

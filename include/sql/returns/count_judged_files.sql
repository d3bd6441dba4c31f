-- Whether the agency sent these bytes before in a file judged on its rows (no file-level error): the
-- count of such return_file rows (params: agency_code, sha256 in lower case).
SELECT count(*) FROM core.return_file WHERE agency_code = ? AND sha256 = ?
AND file_error_code IS NULL

-- The quarantined row-level rejects of a registered return file, in line order (param: return_file_id).
SELECT line_no, record_id, reason_code, detail FROM core.return_reject
WHERE return_file_id = ? ORDER BY line_no

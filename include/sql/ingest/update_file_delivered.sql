-- The fund is done with a return file in inbox/: its acknowledgement delivered, the file moved (or
-- found gone) (params: delivered_at, return_file_id). The first delivery stands.
UPDATE core.return_file SET delivered_at = ? WHERE return_file_id = ? AND delivered_at IS NULL

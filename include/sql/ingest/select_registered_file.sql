-- The registry row of an upload still in inbox/: the file of that agency, name and sha256 that the
-- fund has not yet been done with (delivered_at NULL), so that a copy fetched again is replayed
-- (params: agency_code, file_name, sha256, and the upload's modification time as a timestamp, which
-- identifies only rows from before V020, whose received_at was that time). Composed part "columns":
-- the registry columns recouvra.ingest.load reads, in order.
SELECT {columns} FROM core.return_file WHERE agency_code = ? AND file_name = ? AND sha256 = ?
AND delivered_at IS NULL AND (ack_number IS NOT NULL OR received_at = ?)
ORDER BY return_file_id DESC LIMIT 1

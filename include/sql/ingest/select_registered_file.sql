-- The registry row of an upload still in inbox/ when this copy of it was fetched: the file of that
-- agency, name and sha256 that the fund has not yet been done with (delivered_at NULL: a copy fetched
-- again after a crash), or was done with only after the copy's fetch began (another run at once
-- delivered it meanwhile), so that the copy is replayed (params: agency_code, file_name, sha256, when
-- the copy's fetch began, by the wall clock, NULL when unknown: open rows only, and the
-- upload's modification time as a timestamp, which identifies only rows from before V020, whose
-- received_at was that time). Composed part "columns": the registry columns recouvra.ingest.load
-- reads, in order.
SELECT {columns} FROM core.return_file WHERE agency_code = ? AND file_name = ? AND sha256 = ?
AND (delivered_at IS NULL OR delivered_at >= ?) AND (ack_number IS NOT NULL OR received_at = ?)
ORDER BY return_file_id DESC LIMIT 1

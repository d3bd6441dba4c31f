-- The registry row of a return file by its identity (params: agency_code, file_name, sha256,
-- received_at). Composed part "columns": the registry columns recouvra.ingest.load reads, in order.
SELECT {columns} FROM core.return_file WHERE agency_code = ? AND file_name = ?
AND sha256 = ? AND received_at = ?

-- The registry row of a return file by its id (param: return_file_id). Composed part "columns": the
-- registry columns recouvra.ingest.load reads, in order.
SELECT {columns} FROM core.return_file WHERE return_file_id = ?

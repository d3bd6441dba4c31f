-- A registered return file and the acknowledgement it was given (param: return_file_id).
SELECT agency_code, file_name, ack_file_name, ack_number FROM core.return_file WHERE return_file_id = ?

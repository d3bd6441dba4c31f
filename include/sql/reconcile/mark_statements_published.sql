-- The statement rows an agency received in a commission file. Parameters: file name, agency, month.
UPDATE core.commission_statement
SET file_name = ?
WHERE agency_code = ? AND statement_month = ?

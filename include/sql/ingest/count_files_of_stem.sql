-- How many files of one agency were registered under the names of one stem (params: agency_code, then
-- the names; composed part "marks": one placeholder per name). Numbers the acknowledgements of a stem.
SELECT count(*) FROM core.return_file WHERE agency_code = ? AND file_name IN ({marks})

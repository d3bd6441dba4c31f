-- The closures of one return file that establish an activity status (INSOLVENT, CEASED_NO_ASSETS),
-- with the dossier's debtor, in closure order (param: return_file_id).
SELECT c.agency_code, c.closure_id, d.debtor_id, c.reason, c.closure_date
FROM core.agency_closure c JOIN core.dossier d USING (dossier_id)
WHERE c.return_file_id = ? AND c.reason IN ('INSOLVENT', 'CEASED_NO_ASSETS')
ORDER BY c.closure_date, c.line_no

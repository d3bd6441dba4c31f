-- Every agency finding applied to a debtor: the APPLIED contact updates, and the closures that set
-- activity_status (INSOLVENT, or CEASED for CEASED_NO_ASSETS) as ACTIVITY_STATUS findings; no
-- parameters. Columns: debtor_id, field, value, observed date, return_file_id, line_no.
SELECT debtor_id, field, value_normalised, observed_date, return_file_id, line_no
FROM core.agency_contact_update WHERE apply_status = 'APPLIED'
UNION ALL SELECT d.debtor_id, 'ACTIVITY_STATUS', CASE c.reason WHEN 'INSOLVENT' THEN 'INSOLVENT'
ELSE 'CEASED' END, c.closure_date, c.return_file_id, c.line_no FROM core.agency_closure c
JOIN core.dossier d USING (dossier_id) WHERE c.reason IN ('INSOLVENT', 'CEASED_NO_ASSETS')

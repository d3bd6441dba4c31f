-- The latest date an agency closed a dossier of the debtor as INSOLVENT or CEASED_NO_ASSETS (param:
-- debtor_id): an ACTIVITY_STATUS observation.
SELECT max(c.closure_date) FROM core.agency_closure c JOIN core.dossier d USING (dossier_id)
WHERE d.debtor_id = ? AND c.reason IN ('INSOLVENT', 'CEASED_NO_ASSETS')

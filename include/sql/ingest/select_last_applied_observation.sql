-- The latest observed_date of an agency contact update applied to a debtor's field (params:
-- debtor_id, field).
SELECT max(observed_date) FROM core.agency_contact_update WHERE debtor_id = ? AND field = ?
AND apply_status = 'APPLIED'

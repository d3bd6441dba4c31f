-- Record what became of a contact update (params: apply_status, applied_at or NULL, agency_code,
-- update_id).
UPDATE core.agency_contact_update SET apply_status = ?, applied_at = ?
WHERE agency_code = ? AND update_id = ?

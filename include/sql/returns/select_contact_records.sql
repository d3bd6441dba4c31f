-- The agency's accepted contact updates with the given update_ids, columns in the order
-- recouvra.returns.warehouse_history rebuilds the judge's record from (params: agency_code, then
-- the ids; composed part "marks": one placeholder per id).
SELECT dossier_id, update_id, field, value, observed_date, evidence
FROM core.agency_contact_update WHERE agency_code = ? AND update_id IN ({marks})

-- The agency's accepted objections with the given objection_ids, columns in the order
-- recouvra.returns.warehouse_history rebuilds the judge's record from (params: agency_code, then
-- the ids; composed part "marks": one placeholder per id).
SELECT dossier_id, objection_id, objection_date, evidence_type, evidence_amount, evidence_date, evidence_ref,
comment
FROM core.agency_objection WHERE agency_code = ? AND objection_id IN ({marks})

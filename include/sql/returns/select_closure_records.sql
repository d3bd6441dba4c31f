-- The agency's accepted closures with the given closure_ids, columns in the order
-- recouvra.returns.warehouse_history rebuilds the judge's record from (params: agency_code, then
-- the ids; composed part "marks": one placeholder per id).
SELECT dossier_id, closure_id, closure_date, reason, comment
FROM core.agency_closure WHERE agency_code = ? AND closure_id IN ({marks})

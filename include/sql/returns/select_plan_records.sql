-- The agency's accepted plans with the given plan_ids, columns in the order
-- recouvra.returns.warehouse_history rebuilds the judge's record from (params: agency_code, then
-- the ids; composed part "marks": one placeholder per id).
SELECT dossier_id, plan_id, request_date, installments, first_due_date, total_amount, status
FROM core.agency_plan WHERE agency_code = ? AND plan_id IN ({marks})

-- The agency's accepted actions with the given action_ids, columns in the order
-- recouvra.returns.warehouse_history rebuilds the judge's record from (params: agency_code, then
-- the ids; composed part "marks": one placeholder per id).
SELECT dossier_id, action_id, action_date, action_type, outcome, promise_amount, promise_date, comment
FROM core.agency_action WHERE agency_code = ? AND action_id IN ({marks})

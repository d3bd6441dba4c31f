-- The agency's accepted payments with the given payment_ids, columns in the order
-- recouvra.returns.warehouse_history rebuilds the judge's record from (params: agency_code, then
-- the ids; composed part "marks": one placeholder per id).
SELECT dossier_id, payment_id, payment_date, amount, channel, receipt_ref
FROM core.agency_payment WHERE agency_code = ? AND payment_id IN ({marks})

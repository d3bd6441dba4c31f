-- The agency payments core.payment_match does not confirm, with their amounts, by agency and payment id.
SELECT a.agency_code, a.payment_id, a.amount
FROM core.agency_payment AS a
WHERE NOT EXISTS (SELECT 1 FROM core.payment_match AS m
                  WHERE m.agency_code = a.agency_code AND m.payment_id = a.payment_id)
ORDER BY a.agency_code, a.payment_id

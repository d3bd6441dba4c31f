-- Payments agencies reported (accepted PAYMENTS records).
SELECT agency_code, payment_id, dossier_id, payment_date, amount, receipt_ref
FROM core.agency_payment
ORDER BY agency_code, payment_id

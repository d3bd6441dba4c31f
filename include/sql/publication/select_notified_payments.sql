-- Ledger payments already told to an agency, for some dossiers. Parameter: list of dossier_id.
SELECT agency_code, ledger_payment_id, dossier_id
FROM core.ledger_payment_notice
WHERE dossier_id IN (SELECT unnest(CAST(? AS VARCHAR[])))

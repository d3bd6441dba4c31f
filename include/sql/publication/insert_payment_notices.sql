-- Ledger payments told to an agency in a CNSS_PAYMENTS file (one row per payment and dossier).
-- Parameters: agency_code, list of ledger_payment_id, list of dossier_id (same length), file_name,
-- notified_at.
INSERT INTO core.ledger_payment_notice (agency_code, ledger_payment_id, dossier_id, file_name, notified_at)
SELECT ?, unnest(CAST(? AS BIGINT[])), unnest(CAST(? AS VARCHAR[])), ?, ?
ON CONFLICT (agency_code, ledger_payment_id, dossier_id) DO NOTHING

-- The entries of core.ledger_payment that some core.attribution row points at, whatever their date, in
-- id order (the integrity audit checks each attribution against its entry). Columns as
-- select_ledger_payments.
SELECT
    ledger_payment_id,
    receipt_no,
    affiliation_no,
    debtor_id,
    payment_date,
    amount,
    kind,
    reverses_payment_id,
    settles_period,
    channel,
    first_seen_on,
    payment_ref
FROM core.ledger_payment
WHERE ledger_payment_id IN (SELECT ledger_payment_id FROM core.attribution)
ORDER BY ledger_payment_id

-- Every entry of core.ledger_payment, in no particular order: what load_ledger compares the lake's
-- entries with (read as Arrow, compared in DuckDB). Columns as select_ledger_payments.
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

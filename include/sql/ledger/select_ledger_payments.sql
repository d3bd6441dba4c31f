-- Every entry of core.ledger_payment (payments and reversals), in id order.
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
ORDER BY ledger_payment_id

-- The entries of core.ledger_payment dated up to a run date that name something beside their
-- affiliation number (recouvra.reconcile_increment): those quoting a payment reference and those whose
-- receipt number an agency payment quotes (both sides stripped of surrounding white space, as the
-- matching compares them). Columns as select_ledger_payments. Parameter: run date (inclusive).
SELECT
    l.ledger_payment_id,
    l.receipt_no,
    l.affiliation_no,
    l.debtor_id,
    l.payment_date,
    l.amount,
    l.kind,
    l.reverses_payment_id,
    l.settles_period,
    l.channel,
    l.first_seen_on,
    l.payment_ref
FROM core.ledger_payment l
WHERE l.payment_date <= ?
  AND (l.payment_ref IS NOT NULL
       OR regexp_replace(l.receipt_no, '^\s+|\s+$', '', 'g') IN (
           SELECT regexp_replace(a.receipt_ref, '^\s+|\s+$', '', 'g') FROM core.agency_payment a
           WHERE a.receipt_ref IS NOT NULL))
ORDER BY l.ledger_payment_id

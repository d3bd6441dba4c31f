-- The entries of core.ledger_payment dated up to a run date of some affiliation numbers, and the
-- reversals so dated that name one of them (whatever the reversal's own number): what attribution reads
-- for the dossiers of one group (recouvra.reconcile_increment). Columns as select_ledger_payments, in
-- id order. Parameters: run date (inclusive), affiliation numbers, run date again.
WITH own AS (
    SELECT l.*
    FROM core.ledger_payment AS l
    WHERE l.payment_date <= ?
      AND l.affiliation_no IN (SELECT unnest(CAST(? AS VARCHAR[])))
)
SELECT
    e.ledger_payment_id,
    e.receipt_no,
    e.affiliation_no,
    e.debtor_id,
    e.payment_date,
    e.amount,
    e.kind,
    e.reverses_payment_id,
    e.settles_period,
    e.channel,
    e.first_seen_on,
    e.payment_ref
FROM (
    SELECT * FROM own
    UNION
    SELECT r.*
    FROM core.ledger_payment AS r
    WHERE r.kind = 'REVERSAL'
      AND r.payment_date <= ?
      AND r.reverses_payment_id IN (SELECT ledger_payment_id FROM own)
) AS e
ORDER BY e.ledger_payment_id

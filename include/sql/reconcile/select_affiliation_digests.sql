-- A digest of what the ledger says about each of some affiliation numbers up to a run date
-- (recouvra.reconcile_increment): md5 of its entries dated up to the run date and of the reversals so
-- dated that name one of its entries (whatever the reversal's own number), one line per entry in id
-- order, each line the columns matching and attribution read. Computed in the warehouse: the entries
-- are never turned into Python objects. A number without such entries has no row.
-- Parameters: affiliation numbers, run date (inclusive), run date again.
WITH wanted AS (
    SELECT DISTINCT x.affiliation_no
    FROM (SELECT unnest(CAST(? AS VARCHAR[])) AS affiliation_no) AS x
),
entry AS (
    SELECT l.affiliation_no AS owner_no, l.*
    FROM core.ledger_payment AS l
    WHERE l.payment_date <= ?
      AND l.affiliation_no IN (SELECT affiliation_no FROM wanted)
    UNION ALL
    SELECT p.affiliation_no AS owner_no, r.*
    FROM core.ledger_payment AS r
    JOIN core.ledger_payment AS p ON p.ledger_payment_id = r.reverses_payment_id
    WHERE r.kind = 'REVERSAL'
      AND r.payment_date <= ?
      AND p.affiliation_no IN (SELECT affiliation_no FROM wanted)
)
SELECT
    owner_no,
    md5(string_agg(
        concat_ws('|', CAST(ledger_payment_id AS VARCHAR), receipt_no, affiliation_no,
                  CAST(payment_date AS VARCHAR), CAST(amount AS VARCHAR), kind,
                  coalesce(CAST(reverses_payment_id AS VARCHAR), '-'), CAST(settles_period AS VARCHAR),
                  coalesce(payment_ref, '-')),
        ';' ORDER BY ledger_payment_id)) AS digest
FROM entry
GROUP BY owner_no
ORDER BY owner_no

-- The rows load_ledger writes into core.ledger_payment: each lake entry recorded by the cut
-- (load_ledger_lake) that follows the ledger's rules, as the warehouse keeps it, when
-- core.ledger_payment (load_ledger_held) lacks it or holds it otherwise; in id order, with `replaces`
-- (true: a held row to delete first). DuckDB, over Arrow tables registered on the lake connection.
--   amount          centimes to exact MAD, DECIMAL(18,2) (a decimal product, never a float quotient);
--   settles_period  YYYY-MM to its first day;
--   payment_ref     stripped of the characters $blank (Python's white space), NULL when blank;
--   debtor_id       the debtor of affiliation_no (load_ledger_bridge: core.bridge_affiliation_debtor)
--                   on the payment date: the link valid that day (valid_from inclusive, valid_to
--                   exclusive), else, before its first link, its earliest later link, else NULL;
--   first_seen_on   $on, or the held row's when earlier.
-- A held row counts as the same when every column is (payment_ref compared stripped as above).
-- Parameters: $skipped (ids of the entries that break the rules), $blank, $on (the run date).
WITH entry AS (
    SELECT
        l.payment_id AS ledger_payment_id,
        CAST(l.receipt_no AS VARCHAR) AS receipt_no,
        CAST(l.affiliation_no AS VARCHAR) AS affiliation_no,
        CAST(l.payment_date AS DATE) AS payment_date,
        CAST(CAST(l.amount_centimes AS DECIMAL(18, 0)) * CAST(0.01 AS DECIMAL(3, 2)) AS DECIMAL(18, 2))
            AS amount,
        CAST(l.kind AS VARCHAR) AS kind,
        l.reverses_payment_id,
        CAST(CAST(l.settles_period AS VARCHAR) || '-01' AS DATE) AS settles_period,
        CAST(l.channel AS VARCHAR) AS channel,
        nullif(trim(CAST(l.payment_ref AS VARCHAR), $blank), '') AS payment_ref
    FROM load_ledger_lake AS l
    WHERE NOT list_contains(CAST($skipped AS BIGINT[]), l.payment_id)
),
resolved AS (
    SELECT
        e.ledger_payment_id,
        coalesce(
            arg_min(b.debtor_id, b.valid_from) FILTER (
                WHERE b.valid_from <= e.payment_date AND (b.valid_to IS NULL OR b.valid_to > e.payment_date)),
            arg_min(b.debtor_id, b.valid_from) FILTER (WHERE b.valid_from > e.payment_date)
        ) AS debtor_id
    FROM entry AS e
    JOIN load_ledger_bridge AS b ON b.affiliation_no = e.affiliation_no
    GROUP BY e.ledger_payment_id
),
wanted AS (
    SELECT
        e.ledger_payment_id,
        e.receipt_no,
        e.affiliation_no,
        r.debtor_id,
        e.payment_date,
        e.amount,
        e.kind,
        e.reverses_payment_id,
        e.settles_period,
        e.channel,
        CASE WHEN h.first_seen_on IS NULL OR h.first_seen_on > CAST($on AS DATE) THEN CAST($on AS DATE)
             ELSE h.first_seen_on END AS first_seen_on,
        e.payment_ref,
        h.ledger_payment_id IS NOT NULL AS replaces,
        h.ledger_payment_id IS NULL
            OR e.receipt_no IS DISTINCT FROM h.receipt_no
            OR e.affiliation_no IS DISTINCT FROM h.affiliation_no
            OR r.debtor_id IS DISTINCT FROM h.debtor_id
            OR e.payment_date IS DISTINCT FROM h.payment_date
            OR e.amount IS DISTINCT FROM h.amount
            OR e.kind IS DISTINCT FROM h.kind
            OR e.reverses_payment_id IS DISTINCT FROM h.reverses_payment_id
            OR e.settles_period IS DISTINCT FROM h.settles_period
            OR e.channel IS DISTINCT FROM h.channel
            OR h.first_seen_on > CAST($on AS DATE)
            OR e.payment_ref IS DISTINCT FROM nullif(trim(h.payment_ref, $blank), '') AS changed
    FROM entry AS e
    LEFT JOIN resolved AS r ON r.ledger_payment_id = e.ledger_payment_id
    LEFT JOIN load_ledger_held AS h ON h.ledger_payment_id = e.ledger_payment_id
)
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
    payment_ref,
    replaces
FROM wanted
WHERE changed
ORDER BY ledger_payment_id

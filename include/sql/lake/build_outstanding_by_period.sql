-- What each affiliation still owes, per unpaid month and kind, on the date $as_of (DuckDB, over the
-- lake's current-state views). Ledger payments (net of reversals) dated on or before $as_of settle
-- their month; within a month they pay principal first, then surcharges, then penalties (the fund's
-- imputation order, an assumption stated in docs/debtor-master.md). Amounts in integer centimes.
-- Parts (composed by recouvra.lake.create_outstanding): receivables, ledger_payments = the views read
-- (the lake's, or the same narrowed to some affiliation numbers: each number's rows are its own).
WITH due AS (
    SELECT affiliation_no, period,
           sum(amount_centimes) FILTER (WHERE kind = 'PRINCIPAL') AS principal,
           sum(amount_centimes) FILTER (WHERE kind = 'SURCHARGE') AS surcharge,
           sum(amount_centimes) FILTER (WHERE kind = 'PENALTY')   AS penalty,
           min(established_on) AS established_on,
           min(title_id) AS title_id
    FROM {receivables}
    WHERE established_on <= $as_of
    GROUP BY affiliation_no, period
),
paid AS (
    SELECT affiliation_no, settles_period AS period, sum(amount_centimes) AS paid
    FROM {ledger_payments}
    WHERE payment_date <= $as_of
    GROUP BY affiliation_no, settles_period
),
alloc AS (
    SELECT d.affiliation_no, d.period, d.established_on, d.title_id,
           coalesce(d.principal, 0) AS principal, coalesce(d.surcharge, 0) AS surcharge,
           coalesce(d.penalty, 0) AS penalty,
           greatest(coalesce(p.paid, 0), 0) AS paid
    FROM due d LEFT JOIN paid p USING (affiliation_no, period)
),
split AS (
    SELECT *,
           least(paid, principal) AS paid_principal,
           least(paid - least(paid, principal), surcharge) AS paid_surcharge
    FROM alloc
)
SELECT affiliation_no, period, established_on, title_id,
       principal - paid_principal AS principal_open,
       surcharge - paid_surcharge AS surcharge_open,
       penalty - least(paid - paid_principal - paid_surcharge, penalty) AS penalty_open,
       principal AS principal_established,
       surcharge AS surcharge_established,
       penalty AS penalty_established
FROM split
WHERE principal + surcharge + penalty > paid

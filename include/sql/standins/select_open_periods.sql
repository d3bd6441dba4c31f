-- Every (employer, period) still owing at the start of an advanced month: its lines by kind, its
-- surcharge line (id, title) and what the fund's own ledger netted against it. Payments the agency
-- simulator wrote (payment_id >= the simulator's id base) are left out, so that the advance never
-- depends on what the simulator or the pipeline did.
WITH due AS (
    SELECT affiliation_no, period,
           SUM(CASE WHEN kind = 'PRINCIPAL' THEN amount_centimes ELSE 0 END) AS principal_centimes,
           SUM(CASE WHEN kind = 'SURCHARGE' THEN amount_centimes ELSE 0 END) AS surcharge_centimes,
           SUM(amount_centimes) AS total_centimes,
           MAX(CASE WHEN kind = 'SURCHARGE' THEN receivable_id END) AS surcharge_id,
           MAX(CASE WHEN kind = 'SURCHARGE' THEN title_id END) AS surcharge_title_id
    FROM receivables
    GROUP BY affiliation_no, period
), paid AS (
    SELECT affiliation_no, settles_period AS period, SUM(amount_centimes) AS net_centimes
    FROM ledger_payments
    WHERE payment_id < ?
    GROUP BY affiliation_no, settles_period
)
SELECT d.affiliation_no, d.period, d.principal_centimes, d.surcharge_centimes, d.total_centimes,
       COALESCE(p.net_centimes, 0) AS net_centimes, d.surcharge_id, d.surcharge_title_id
FROM due d
LEFT JOIN paid p ON p.affiliation_no = d.affiliation_no AND p.period = d.period
WHERE d.total_centimes > COALESCE(p.net_centimes, 0)
ORDER BY d.affiliation_no, d.period

-- The lake's entries recorded by the cut (registered as load_ledger_lake: the rows of
-- select_ledger_payments_lake) that do not plainly follow the ledger's rules, in id order: recouvra.ledger
-- checks each of them with its rules (check_entry, settles_period, amount_from_centimes), skips those
-- that break one and says why. A plain entry: a YYYY-MM settles_period of a year after 0000, and a
-- positive PAYMENT reversing nothing or a negative REVERSAL naming its payment. DuckDB.
-- Parameter: $check_all (true: every entry, when amount_centimes is not an integer column).
SELECT payment_id, kind, amount_centimes, settles_period, reverses_payment_id
FROM load_ledger_lake
WHERE $check_all
   OR NOT coalesce(
       regexp_full_match(CAST(settles_period AS VARCHAR), '[0-9]{4}-(0[1-9]|1[0-2])')
       AND NOT starts_with(CAST(settles_period AS VARCHAR), '0000')
       AND ((kind = 'PAYMENT' AND amount_centimes > 0 AND reverses_payment_id IS NULL)
            OR (kind = 'REVERSAL' AND amount_centimes < 0 AND reverses_payment_id IS NOT NULL)),
       false)
ORDER BY payment_id

-- Attribution rows, in a stable order.
SELECT ledger_payment_id, dossier_id, agency_code, amount, payment_date, settles_period,
       attribution_month, attributed_at
FROM core.attribution
ORDER BY dossier_id, payment_date, ledger_payment_id

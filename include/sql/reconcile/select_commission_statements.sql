-- Every commission statement row, by month and dossier.
SELECT statement_month, dossier_id, agency_code, attributed_amount, commission_rate, commission_cap,
       commission_before_cap, commission_paid_to_date, commission_this_month, cap_reached, file_name,
       computed_at
FROM core.commission_statement
ORDER BY statement_month, dossier_id

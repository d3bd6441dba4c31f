-- Recovered by kind per agency for the report month (issue 17.9). Parameter: month first day.
SELECT agency_code, principal_in_month, surcharges_in_month, penalties_in_month, recovered_in_month,
       principal_to_date, surcharges_to_date, penalties_to_date, recovered_to_date
FROM marts.v_recovered_by_kind
WHERE month = CAST(? AS DATE)
ORDER BY agency_code

-- What other agencies found about the debtors of open dossiers and the fund applied to its golden
-- record: contact updates APPLIED, from return files dated by the day, observed after the dossier began.
-- Parameters: day, dossier ids.
SELECT d.dossier_id, u.field, u.value_normalised, u.observed_date
FROM core.dossier AS d
JOIN core.agency_contact_update AS u ON u.debtor_id = d.debtor_id AND u.agency_code <> d.agency_code
JOIN core.return_file AS f ON f.return_file_id = u.return_file_id
WHERE u.apply_status = 'APPLIED'
  AND u.field IN ('ADDRESS', 'CITY', 'PHONE', 'EMAIL', 'LEGAL_REP', 'ACTIVITY_STATUS')
  AND u.observed_date >= d.assignment_start
  AND coalesce(f.file_date, CAST(f.received_at AS DATE)) <= CAST(? AS DATE)
  AND d.dossier_id IN (SELECT unnest(CAST(? AS VARCHAR[])))
ORDER BY d.dossier_id, u.field, u.observed_date, u.update_id

-- Every commission statement row, by month and dossier, with why the dossier has its rate
-- (core.dossier.commission_basis; NULL for a row whose dossier is gone) and its recovered by kind.
SELECT s.statement_month, s.dossier_id, s.agency_code, s.attributed_amount, s.commission_rate,
       s.commission_cap, s.commission_before_cap, s.commission_paid_to_date, s.commission_this_month,
       s.cap_reached, s.file_name, s.computed_at, d.commission_basis,
       s.principal_recovered, s.surcharges_recovered, s.penalties_recovered
FROM core.commission_statement AS s
LEFT JOIN core.dossier AS d ON d.dossier_id = s.dossier_id
ORDER BY s.statement_month, s.dossier_id

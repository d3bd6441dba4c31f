-- Assignment rows of a month (one per dossier), with the debtor as the fund knew it when the dossier
-- was created: the core.debtor_history version valid at dossier.created_at (valid_from inclusive,
-- valid_to exclusive). has_history is false when no version covers that instant (an error upstream).
-- selection_seq: the run that created the dossier (the run of its month with its assignment_start; 1
-- when none is recorded): one package per agency and run (publication.build_packages numbers them).
-- Parameter: assignment_month (first day). Ordered in Python (code-point order of dossier_id).
SELECT
    d.dossier_id,
    d.agency_code,
    d.affiliation_no,
    h.legal_name,
    h.legal_form,
    h.ice,
    h.rc_number,
    h.rc_court,
    h.address,
    h.city,
    h.phone_1,
    h.phone_2,
    h.email,
    h.legal_rep_name,
    d.segment,
    d.periods_count,
    d.oldest_period,
    d.newest_period,
    d.principal_due,
    d.surcharges_due,
    d.penalties_due,
    d.total_due,
    d.assignment_start,
    d.assignment_end,
    d.commission_rate,
    d.commission_cap,
    h.debtor_id IS NOT NULL AS has_history,
    coalesce(s.selection_seq, 1) AS selection_seq
FROM core.dossier AS d
LEFT JOIN core.selection_run AS s
    ON s.selection_month = d.assignment_month
   AND s.assignment_start = d.assignment_start
LEFT JOIN core.debtor_history AS h
    ON h.debtor_id = d.debtor_id
   AND h.valid_from <= d.created_at
   AND (h.valid_to IS NULL OR h.valid_to > d.created_at)
WHERE d.assignment_month = ?

-- A selection run of the month (selection_seq 1 the month's selection, 2 its top-up). Parameters in
-- column order.
INSERT INTO core.selection_run (selection_month, selection_seq, assignment_start, as_of_date, seed,
                                dossiers_target, debtors_considered, debtors_eligible, dossiers_selected,
                                likelihood_source, likelihood_coefficients, results_months, share_rule,
                                agency_shares, balance_max_deviation, balance_met, balance_draws, decided_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)

-- The month's selection run. Parameters in column order.
INSERT INTO core.selection_run (selection_month, as_of_date, seed, dossiers_target, debtors_considered,
                                debtors_eligible, dossiers_selected, likelihood_source,
                                likelihood_coefficients, results_months, share_rule, agency_shares,
                                balance_max_deviation, balance_met, balance_draws, decided_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)

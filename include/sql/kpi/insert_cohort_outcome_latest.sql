-- Copy the cohort outcomes of the latest month loaded into marts.kpi_cohort_outcome (V007's table,
-- kept for readers of it). No parameters.
INSERT INTO marts.kpi_cohort_outcome (
    agency_code, placement_month, segment, region, as_of_date, dossiers_count, assigned_amount,
    recovered_30d, recovered_60d, recovered_90d, recovered_to_date, recovery_rate_30d, recovery_rate_60d,
    recovery_rate_90d, dossiers_right_party_contact, right_party_contact_rate, promises_count,
    promises_kept, promise_kept_rate, plans_requested, plans_signed, plans_kept, plan_activation_rate,
    plan_kept_rate, dossiers_located, located_rate, dossiers_assets_found, assets_found_rate,
    dossiers_data_updated, data_update_rate, commission_to_date, cost_to_collect, computed_at,
    dossiers_worked, plans_started
)
SELECT agency_code, placement_month, segment, region, as_of_date, dossiers_count, assigned_amount,
       recovered_30d, recovered_60d, recovered_90d, recovered_to_date, recovery_rate_30d, recovery_rate_60d,
       recovery_rate_90d, dossiers_right_party_contact, right_party_contact_rate, promises_count,
       promises_kept, promise_kept_rate, plans_requested, plans_signed, plans_kept, plan_activation_rate,
       plan_kept_rate, dossiers_located, located_rate, dossiers_assets_found, assets_found_rate,
       dossiers_data_updated, data_update_rate, commission_to_date, cost_to_collect, computed_at,
       dossiers_worked, plans_started
FROM marts.kpi_cohort_month
WHERE as_of_month = (SELECT MAX(as_of_month) FROM marts.kpi_cohort_month)

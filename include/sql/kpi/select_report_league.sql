-- The agency league of the report month (param: month first day).
SELECT agency_code, league_rank, dossiers_count, assigned_amount, recovered_to_date, recovery_rate,
       recovery_rate_90d, open_amount, commission_to_date, cost_to_collect, dossiers_worked,
       dossiers_right_party_contact, right_party_contact_rate, dossiers_committed, promises_count,
       promises_kept, promise_kept_rate, plan_activation_rate, plan_kept_rate, located_rate,
       assets_found_rate, data_update_rate, dossiers_paying, dossiers_paid_in_full
FROM marts.v_agency_league
WHERE as_of_month = CAST(? AS DATE)
ORDER BY league_rank

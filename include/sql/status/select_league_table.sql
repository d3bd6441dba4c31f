-- The agency league of one month end, in rank order (param: as_of_month).
SELECT league_rank, agency_code, dossiers_count, assigned_amount, recovered_to_date,
recovery_rate, commission_to_date, cost_to_collect, right_party_contact_rate
FROM marts.v_agency_league WHERE as_of_month = ? ORDER BY league_rank

-- The latest month end loaded in the agency league view; no parameters.
SELECT max(as_of_month) FROM marts.v_agency_league

-- How many payments agencies have reported (core.agency_payment).
SELECT count(*)
FROM core.agency_payment

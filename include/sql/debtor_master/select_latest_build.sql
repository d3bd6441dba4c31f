-- The latest day the debtor master was built for: its latest portfolio date or bridge change (NULL
-- before the first build). A run for an earlier day keeps what was built (recouvra.debtor_master).
SELECT max(d) FROM (
    SELECT max(as_of_date) AS d FROM core.debtor_portfolio
    UNION ALL
    SELECT max(valid_from) AS d FROM core.bridge_affiliation_debtor
) AS builds

-- Active debtors of the debtor master and the affiliation numbers they hold; no parameters.
SELECT count(*), coalesce(sum(affiliations_count), 0) FROM core.dim_debtor
WHERE status = 'ACTIVE'

-- Current affiliation -> debtor links per match rule (singletons aside), most used first; no
-- parameters.
SELECT match_rule, count(*) FROM core.bridge_affiliation_debtor WHERE is_current
AND match_rule <> 'SINGLETON' GROUP BY 1 ORDER BY 2 DESC

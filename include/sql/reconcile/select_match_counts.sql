-- How many agency payments core.payment_match confirms, per matching rule.
SELECT match_rule, count(*)
FROM core.payment_match
GROUP BY match_rule
ORDER BY match_rule

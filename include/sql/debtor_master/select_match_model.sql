-- The stored Fellegi-Sunter model a build on a day scores with: the latest trained on or before it
-- (param: the build day). No row: none stored yet, the build trains one.
SELECT trained_on, prior, prior_among_candidates, records_count, candidate_pairs, random_pairs, iterations,
       namesakes_mail_share
FROM core.match_model
WHERE trained_on <= ?
ORDER BY trained_on DESC
LIMIT 1

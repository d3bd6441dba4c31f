-- Remove the merge evidence of one build date before it is written again (param: resolved_on).
DELETE FROM core.debtor_match_evidence WHERE resolved_on = ?

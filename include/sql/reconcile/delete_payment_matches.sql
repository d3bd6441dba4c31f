-- Matching is re-evaluated whole at every run: the previous matches are replaced.
DELETE FROM core.payment_match

-- Attributions of ledger entries dated up to the run date are recomputed whole. Parameter: the day.
DELETE FROM core.attribution
WHERE payment_date <= ?

-- The kinds of the attributions recomputed (ledger entries dated up to the run date) are recomputed
-- with them. Parameter: the day.
DELETE FROM core.attribution_kind
WHERE payment_date <= ?

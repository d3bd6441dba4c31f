-- The reversals load_ledger loads that name a payment neither the lake's entries recorded by the cut
-- (load_ledger_lake, skipped ones included) nor core.ledger_payment (load_ledger_held) hold, in id
-- order. DuckDB. Parameter: $skipped (ids of the entries skipped for breaking the ledger's rules).
SELECT l.payment_id
FROM load_ledger_lake AS l
WHERE l.kind = 'REVERSAL'
  AND NOT list_contains(CAST($skipped AS BIGINT[]), l.payment_id)
  AND NOT EXISTS (SELECT 1 FROM load_ledger_lake AS p WHERE p.payment_id = l.reverses_payment_id)
  AND NOT EXISTS (SELECT 1 FROM load_ledger_held AS h WHERE h.ledger_payment_id = l.reverses_payment_id)
ORDER BY l.payment_id

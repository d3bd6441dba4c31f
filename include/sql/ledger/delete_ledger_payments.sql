-- Remove ledger entries about to be rewritten (upsert = delete + bulk insert, in one transaction).
-- Parameter: list of ledger_payment_id.
DELETE FROM core.ledger_payment
WHERE ledger_payment_id IN (SELECT unnest(CAST(? AS BIGINT[])))

-- Which of the agency simulator's ledger payments the source already holds (ids from lo up, the
-- simulator's own range). SQLAlchemy binds lo and ids (an expanding IN list).
SELECT payment_id FROM ledger_payments
WHERE payment_id >= :lo AND payment_id IN :ids

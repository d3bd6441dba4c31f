-- Surcharge lines re-stated by an advanced month (accrued to the month's end, or to the day a
-- payment settled the period). Portable UPDATE ... FROM (SQLite 3.33+, PostgreSQL).
UPDATE receivables
SET amount_centimes = u.amount_centimes,
    updated_at = u.updated_at
FROM advance_receivable_updates AS u
WHERE receivables.receivable_id = u.receivable_id

-- Change fields of a debtor's golden record (params: the new values in the order of "sets", then
-- updated_at, debtor_id). Composed part "sets": <column> = ? per changed column.
UPDATE core.dim_debtor SET {sets}, updated_at = ? WHERE debtor_id = ?

-- Retire a debtor id whose affiliations all moved: MERGED into the debtor that took most of them
-- (params: merged_into_debtor_id, updated_at, debtor_id); a debtor already MERGED is left as it is.
UPDATE core.dim_debtor SET status = 'MERGED', merged_into_debtor_id = ?,
updated_at = ? WHERE debtor_id = ? AND status <> 'MERGED'

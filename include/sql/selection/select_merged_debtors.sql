-- Debtors retired by entity resolution and the debtor that absorbed each.
SELECT debtor_id, merged_into_debtor_id FROM core.dim_debtor WHERE status = 'MERGED'

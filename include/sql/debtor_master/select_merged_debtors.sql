-- Each MERGED debtor id and the debtor it was merged into; no parameters.
SELECT debtor_id, merged_into_debtor_id FROM core.dim_debtor
WHERE status = 'MERGED'

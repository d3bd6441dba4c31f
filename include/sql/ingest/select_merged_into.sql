-- The debtor a debtor id was merged into, NULL when it stands for itself (param: debtor_id).
SELECT merged_into_debtor_id FROM core.dim_debtor WHERE debtor_id = ?

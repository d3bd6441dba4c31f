-- When the debtor's latest history version opened (param: debtor_id).
SELECT max(valid_from) FROM core.debtor_history WHERE debtor_id = ?

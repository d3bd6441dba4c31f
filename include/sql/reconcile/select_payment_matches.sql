-- Current matches of agency-reported payments to ledger entries.
SELECT agency_code, payment_id, ledger_payment_id, match_rule, day_gap, matched_at
FROM core.payment_match

-- Affiliation numbers currently bridged to some debtors. Parameter: list of debtor_id.
SELECT debtor_id, affiliation_no
FROM core.bridge_affiliation_debtor
WHERE is_current
  AND debtor_id IN (SELECT unnest(CAST(? AS BIGINT[])))

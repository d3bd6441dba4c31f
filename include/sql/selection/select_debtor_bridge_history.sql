-- Every affiliation number some debtors have held, with when. Parameter: list of debtor_id.
SELECT debtor_id, affiliation_no, valid_from, valid_to
FROM core.bridge_affiliation_debtor
WHERE debtor_id IN (SELECT unnest(CAST(? AS BIGINT[])))

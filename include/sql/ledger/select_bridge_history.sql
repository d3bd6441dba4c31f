-- Every (affiliation number, debtor) link with its validity: valid_from inclusive, valid_to exclusive.
SELECT affiliation_no, debtor_id, valid_from, valid_to
FROM core.bridge_affiliation_debtor
ORDER BY affiliation_no, valid_from

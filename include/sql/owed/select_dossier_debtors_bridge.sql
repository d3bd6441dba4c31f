-- The (affiliation number, debtor) links of the debtors some dossier names, with their validity
-- (valid_from inclusive, valid_to exclusive): all read_dossiers needs of the bridge, not the whole
-- portfolio's. Columns and order as ledger/select_bridge_history.
SELECT affiliation_no, debtor_id, valid_from, valid_to
FROM core.bridge_affiliation_debtor
WHERE debtor_id IN (SELECT debtor_id FROM core.dossier)
ORDER BY affiliation_no, valid_from

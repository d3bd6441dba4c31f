-- Open the new current bridge rows from the work table (param: valid_from, the build date).
INSERT INTO core.bridge_affiliation_debtor (affiliation_no, valid_from, valid_to,
is_current, debtor_id, match_rule, match_score) SELECT affiliation_no, ?, NULL, true,
debtor_id, match_rule, match_score FROM core.load_bridge

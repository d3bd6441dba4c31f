-- The work table the bridge rows that change are bulk-loaded into; no parameters.
CREATE TABLE IF NOT EXISTS core.load_bridge AS SELECT affiliation_no, debtor_id,
match_rule, match_score FROM core.bridge_affiliation_debtor WHERE 1 = 0

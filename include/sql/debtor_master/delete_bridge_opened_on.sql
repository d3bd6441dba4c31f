-- Remove the bridge rows an earlier run of the same date opened for the affiliations that change
-- (param: valid_from, the build date): they are replaced, not closed.
DELETE FROM core.bridge_affiliation_debtor WHERE valid_from = ? AND affiliation_no IN
(SELECT affiliation_no FROM core.load_bridge)

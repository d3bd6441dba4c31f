-- Close a debtor's current history version (params: valid_to, debtor_id). Also used by
-- recouvra.ingest.master before it opens an AGENCY version.
UPDATE core.debtor_history SET valid_to = ?, is_current = false
WHERE debtor_id = ? AND is_current

-- Debtors retired by entity resolution by a day, and the debtor that absorbed each: MERGED, and no
-- affiliation number of theirs left on that day (bridge rows valid_from inclusive, valid_to exclusive).
-- A merge the debtor master made on a later day is not yet one on this day: the lifecycle re-run of a
-- past day judges as its first run did. Parameters: the day, twice.
SELECT d.debtor_id, d.merged_into_debtor_id
FROM core.dim_debtor AS d
WHERE d.status = 'MERGED'
  AND NOT EXISTS (
      SELECT 1 FROM core.bridge_affiliation_debtor AS b
      WHERE b.debtor_id = d.debtor_id AND b.valid_from <= ? AND (b.valid_to IS NULL OR b.valid_to > ?)
  )

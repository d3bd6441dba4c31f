-- Dossiers of other months still with an agency whose window overlaps the new one: their debtors
-- are ALREADY_PLACED. Parameters: month, new window start, new window end.
SELECT dossier_id, debtor_id, affiliation_no
FROM core.dossier
WHERE assignment_month <> ?
  AND status IN ('ALLOCATED', 'PUBLISHED')
  AND assignment_end >= ?
  AND assignment_start <= ?

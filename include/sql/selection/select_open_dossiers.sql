-- Dossiers of other months still with an agency whose window overlaps the new one: their debtors
-- are ALREADY_PLACED. A window's last day is the one an accepted objection to its recall notice moved
-- it to (core.agency_objection.extended_to), if later. Parameters: month, new window start, new window end.
SELECT d.dossier_id, d.debtor_id, d.affiliation_no
FROM core.dossier AS d
WHERE d.assignment_month <> ?
  AND d.status IN ('ALLOCATED', 'PUBLISHED')
  AND greatest(d.assignment_end, coalesce((SELECT max(o.extended_to) FROM core.agency_objection AS o
                                           WHERE o.dossier_id = d.dossier_id
                                             AND o.agency_code = d.agency_code), d.assignment_end)) >= ?
  AND d.assignment_start <= ?

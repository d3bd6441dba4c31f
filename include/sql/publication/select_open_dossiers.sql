-- Dossiers with their agency on a day: those a weekly payments file of that day reports on. Published
-- (RECALLED ones were published first) and no recall decided by then: as of the day, not as of now, so a
-- re-run of the day after a later recall reports the same dossiers. Parameter: the day.
SELECT d.dossier_id, d.agency_code, d.debtor_id, d.affiliation_no, d.assignment_start, d.created_at
FROM core.dossier AS d
WHERE d.status IN ('PUBLISHED', 'RECALLED')
  AND NOT EXISTS (SELECT 1 FROM core.dossier_recall AS r
                  WHERE r.dossier_id = d.dossier_id AND coalesce(r.decided_on, r.recall_date) <= CAST(? AS DATE))

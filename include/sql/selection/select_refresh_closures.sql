-- The accepted closures of some dossiers known on the refresh date (file received by its end, closure
-- dated by it), with what the dispute record needs, in the order the agency closed them.
-- Parameters: refresh date (twice), list of dossier_id.
SELECT c.dossier_id, c.agency_code, c.closure_id, c.closure_date, c.reason, c.comment,
       d.debtor_id, d.affiliation_no
FROM core.agency_closure AS c
JOIN core.return_file AS rf ON rf.return_file_id = c.return_file_id
JOIN core.dossier AS d ON d.dossier_id = c.dossier_id
WHERE CAST(rf.received_at AS DATE) <= ?
  AND c.closure_date <= ?
  AND c.dossier_id IN (SELECT unnest(CAST(? AS VARCHAR[])))
ORDER BY c.dossier_id, c.closure_date, c.agency_code, c.closure_id

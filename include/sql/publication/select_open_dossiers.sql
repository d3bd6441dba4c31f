-- Dossiers with their agency (status PUBLISHED): those a weekly payments file reports on.
SELECT dossier_id, agency_code, debtor_id, affiliation_no, assignment_start, created_at
FROM core.dossier
WHERE status = 'PUBLISHED'

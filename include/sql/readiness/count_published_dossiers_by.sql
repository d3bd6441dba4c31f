-- Dossiers of a month or an earlier one that agencies received (published, whatever became of them
-- since): 0 when the programme had placed nothing by then (recouvra.readiness).
SELECT count(*) FROM core.dossier WHERE assignment_month <= ? AND status <> 'ALLOCATED'

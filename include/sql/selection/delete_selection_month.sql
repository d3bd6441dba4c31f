-- Everything a monthly selection wrote, removed before it is written again (one transaction).
-- Each statement takes the month as its only parameter.
DELETE FROM core.dossier_period
WHERE dossier_id IN (SELECT dossier_id FROM core.dossier WHERE assignment_month = ?);
DELETE FROM core.dossier WHERE assignment_month = ?;
DELETE FROM core.selection_decision WHERE selection_month = ?;
DELETE FROM core.selection_score WHERE selection_month = ?;
DELETE FROM core.selection_run WHERE selection_month = ?;

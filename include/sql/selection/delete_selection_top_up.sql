-- Everything a month's top-up (selection_seq 2) wrote, removed before it is written again (one
-- transaction); the month's selection (seq 1) is never touched. Each statement takes the month as its
-- only parameter. A top-up's dossiers are the month's dossiers starting after the month's first day.
DELETE FROM core.dossier_period
WHERE dossier_id IN (SELECT dossier_id FROM core.dossier
                     WHERE assignment_month = ? AND assignment_start > assignment_month);
DELETE FROM core.dossier WHERE assignment_month = ? AND assignment_start > assignment_month;
DELETE FROM core.selection_decision WHERE selection_month = ? AND selection_seq = 2;
DELETE FROM core.selection_score WHERE selection_month = ? AND selection_seq = 2;
DELETE FROM core.selection_run WHERE selection_month = ? AND selection_seq = 2;

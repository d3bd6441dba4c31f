-- The day a recall was decided, as a date of the fund's calendar: the lifecycle's day judged. The
-- recall file of a day takes the recalls decided on or before it. Before, it compared decided_at, the
-- wall clock of the decision, with the end of the file's day: a month run or back-filled after its
-- logical date (the demo's past months, a backfill) decided its recalls "after" its own day and sent
-- none of them. Recalls decided before this column existed take the first lifecycle refresh on or
-- after their recall date (integrity/select_recall_decision_days.sql's rule), else the recall date.
ALTER TABLE core.dossier_recall ADD COLUMN decided_on DATE;
UPDATE core.dossier_recall
SET decided_on = COALESCE((SELECT min(l.run_on) FROM core.lifecycle_run AS l
                           WHERE l.run_on >= core.dossier_recall.recall_date), recall_date)
WHERE decided_on IS NULL;
COMMENT ON COLUMN core.dossier_recall.decided_on IS 'Day the recall was decided (the lifecycle''s day judged, fund calendar); the recall file of a day takes the recalls decided on or before it.';

-- Stage 3 (lifecycle): one row per day the lifecycle refresh judged the dossiers with their agencies.
-- A re-run or backfill of a day before the latest day judged keeps what that day decided: the
-- warehouse has learned since (ledger entries recorded later, later closures), and a second judgement
-- of a past day would recall what the first did not (recouvra.selection.lifecycle).

CREATE TABLE IF NOT EXISTS core.lifecycle_run (
    run_on      DATE      NOT NULL,
    examined    INTEGER   NOT NULL,
    recalled    INTEGER   NOT NULL,
    decided_at  TIMESTAMP NOT NULL,
    PRIMARY KEY (run_on),
    CHECK (examined >= 0),
    CHECK (recalled >= 0 AND recalled <= examined)
);
COMMENT ON TABLE core.lifecycle_run IS 'Days the lifecycle refresh judged the dossiers held by agencies (recalls decided that day in core.dossier_recall); a day before the latest one is kept as judged when re-run.';
COMMENT ON COLUMN core.lifecycle_run.run_on IS 'The run''s day (first day of the assignment month for assignment_monthly).';
COMMENT ON COLUMN core.lifecycle_run.examined IS 'Dossiers examined: published, not recalled, window begun on the day.';
COMMENT ON COLUMN core.lifecycle_run.recalled IS 'Of those, recalled that day.';
COMMENT ON COLUMN core.lifecycle_run.decided_at IS 'When the refresh ran (UTC).';

-- Forget an earlier run of the same day before recording this one. Parameter: the day.
DELETE FROM core.lifecycle_run WHERE run_on = ?

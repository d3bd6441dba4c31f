-- The latest day the lifecycle refresh judged (NULL before the first). No parameter.
SELECT max(run_on) FROM core.lifecycle_run

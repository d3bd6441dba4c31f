-- Record the day a lifecycle refresh judged. Parameters: the day, examined, recalled, decided_at.
INSERT INTO core.lifecycle_run (run_on, examined, recalled, decided_at) VALUES (?, ?, ?, ?)

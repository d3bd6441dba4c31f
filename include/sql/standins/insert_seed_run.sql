-- Records a seed of the synthetic source as started. Params: run id, scale, number of employers,
-- seed, generator version, truth folder, started at, updated at. Portable (SQLite, PostgreSQL).
INSERT INTO seed_runs (run_id, scale, n_employers, seed, generator_version, truth_dir,
                       started_at, updated_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?)

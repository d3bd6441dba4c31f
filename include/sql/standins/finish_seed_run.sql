-- Records a seed of the synthetic source as finished, with its row counts. Params: counts (JSON),
-- finished at, updated at, run id. Portable (SQLite, PostgreSQL).
UPDATE seed_runs SET counts_json = ?, finished_at = ?, updated_at = ? WHERE run_id = ?

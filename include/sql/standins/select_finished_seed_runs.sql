-- The finished seeds of the synthetic source, latest first: what the generator compares a new seed
-- request with (size, seed, generator version) before doing it again. Portable (SQLite, PostgreSQL).
SELECT n_employers, seed, generator_version, counts_json, scale FROM seed_runs
WHERE finished_at IS NOT NULL ORDER BY finished_at DESC

-- The finished seed a source holds: what an advance draws from.
SELECT seed, n_employers, truth_dir FROM seed_runs WHERE finished_at IS NOT NULL ORDER BY finished_at DESC

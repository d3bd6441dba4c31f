-- Journaling and fsync off while the generator bulk-loads a SQLite file: a half-written seed is
-- simply seeded again.
PRAGMA journal_mode=OFF;
PRAGMA synchronous=OFF;

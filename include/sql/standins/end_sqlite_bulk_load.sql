-- Journaling and fsync back to SQLite's safe defaults once the generator's bulk load is over.
PRAGMA journal_mode=DELETE;
PRAGMA synchronous=FULL;

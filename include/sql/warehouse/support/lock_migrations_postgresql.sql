-- Tries to take the advisory lock that serialises migrators on PostgreSQL (true when taken).
-- Param: the lock key.
SELECT pg_try_advisory_lock(?)

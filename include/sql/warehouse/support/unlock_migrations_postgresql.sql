-- Releases the migrators' advisory lock on PostgreSQL. Param: the lock key.
SELECT pg_advisory_unlock(?)

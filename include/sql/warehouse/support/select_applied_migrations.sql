-- The migrations applied to the warehouse, with the checksum of each file when it was applied.
SELECT version, checksum FROM meta.schema_migrations

-- Records one migration applied, in the same transaction as its statements.
-- Params: version, file name, checksum, when it was applied (UTC).
INSERT INTO meta.schema_migrations (version, name, checksum, applied_at) VALUES (?, ?, ?, ?)

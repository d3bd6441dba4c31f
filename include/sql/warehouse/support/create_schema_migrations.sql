-- Bootstrap of the migration bookkeeping, run by recouvra.warehouse.migrate before any V*.sql file,
-- only when meta.schema_migrations does not exist yet. Same SQL on DuckDB and PostgreSQL.
CREATE SCHEMA IF NOT EXISTS meta;

CREATE TABLE IF NOT EXISTS meta.schema_migrations (
    version     VARCHAR   NOT NULL PRIMARY KEY,
    name        VARCHAR   NOT NULL,
    checksum    VARCHAR   NOT NULL,
    applied_at  TIMESTAMP NOT NULL,
    CHECK (length(checksum) = 64)
);

COMMENT ON TABLE meta.schema_migrations IS 'One row per warehouse migration file applied (include/sql/warehouse/V*.sql); written by recouvra.warehouse.migrate in the same transaction as the migration itself.';
COMMENT ON COLUMN meta.schema_migrations.version IS 'Migration version as in its file name, e.g. V001.';
COMMENT ON COLUMN meta.schema_migrations.name IS 'File name of the migration, e.g. V001__create_schemas.sql.';
COMMENT ON COLUMN meta.schema_migrations.checksum IS 'SHA-256 (hex) of the file text with line ends normalised to LF; a later change of an applied file is refused.';
COMMENT ON COLUMN meta.schema_migrations.applied_at IS 'When the migration was committed (UTC).';

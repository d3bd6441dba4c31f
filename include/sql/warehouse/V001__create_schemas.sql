-- The warehouse's layers. DuckDB cannot comment on a schema, so their roles are stated here and in
-- docs/data-dictionary.md:
--   staging  snapshots of the fund's operational source as extracted (raw values, one partition per
--            snapshot_date), loaded from the Parquet lake;
--   core     the pipeline's own records: debtor master, selection and assignment, agency returns,
--            reconciliation, attribution and commission;
--   marts    KPI tables rebuilt from core, read by reports and dashboards;
--   meta     bookkeeping: migrations applied, extracts taken.
CREATE SCHEMA IF NOT EXISTS staging;
CREATE SCHEMA IF NOT EXISTS core;
CREATE SCHEMA IF NOT EXISTS marts;
CREATE SCHEMA IF NOT EXISTS meta;

CREATE TABLE IF NOT EXISTS meta.staging_load (
    table_name      VARCHAR       NOT NULL,
    snapshot_date   DATE          NOT NULL,
    run_id          VARCHAR       NOT NULL,
    low_watermark   TIMESTAMP     NOT NULL,
    high_watermark  TIMESTAMP     NOT NULL,
    row_count       BIGINT        NOT NULL,
    control_total   DECIMAL(18,2),
    loaded_at       TIMESTAMP     NOT NULL,
    PRIMARY KEY (table_name, snapshot_date),
    CHECK (row_count >= 0),
    CHECK (high_watermark > low_watermark)
);
COMMENT ON TABLE meta.staging_load IS 'Which published lake snapshots (<lake>/<table>/snapshot_date=YYYY-MM-DD/) have been merged into staging, so that a load is applied once and in watermark order; its counts are those of the snapshot manifest.';
COMMENT ON COLUMN meta.staging_load.table_name IS 'Source table, e.g. receivables (loaded into staging.receivables).';
COMMENT ON COLUMN meta.staging_load.snapshot_date IS 'Snapshot partition merged.';
COMMENT ON COLUMN meta.staging_load.run_id IS 'Extract run that produced the snapshot (from its manifest).';
COMMENT ON COLUMN meta.staging_load.low_watermark IS 'Snapshot holds source rows with updated_at after this (exclusive).';
COMMENT ON COLUMN meta.staging_load.high_watermark IS '... and up to this (inclusive).';
COMMENT ON COLUMN meta.staging_load.row_count IS 'Rows in the snapshot, all merged into staging.';
COMMENT ON COLUMN meta.staging_load.control_total IS 'Sum of the table''s money column in the snapshot (MAD); NULL for tables without one.';
COMMENT ON COLUMN meta.staging_load.loaded_at IS 'When the merge was committed (UTC).';

-- The snapshots of one source table already merged into staging, with the run and row count each
-- was merged from (meta.staging_load). Param: table name.
SELECT snapshot_date, run_id, row_count FROM meta.staging_load WHERE table_name = ?

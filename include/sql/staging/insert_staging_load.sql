-- Records one snapshot merged into staging. Params: table name, snapshot date, run id, low and high
-- watermarks, row count, control total (MAD), when it was merged (UTC).
INSERT INTO meta.staging_load (table_name, snapshot_date, run_id, low_watermark,
                               high_watermark, row_count, control_total, loaded_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?)

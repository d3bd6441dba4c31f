-- The golden values the fund's source gave at the previous build, per debtor; no parameters.
-- Composed part "columns": the fields agency findings may change (debtor_master.SOURCE_TRACKED).
SELECT debtor_id, {columns} FROM core.debtor_source_golden

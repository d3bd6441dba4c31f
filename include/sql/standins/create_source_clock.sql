-- The synthetic source's clock: one row per month `recouvra seed --advance-to` brought the source
-- through, written in the same transaction as that month's rows (a killed advance leaves none).
-- The source's current month is the latest row's, or seed.end_month when there is none.
-- Dropped with the generator's tables (drop_source_tables.sql): a re-seed starts the clock again.
CREATE TABLE IF NOT EXISTS source_clock (
    month         CHAR(7)     NOT NULL PRIMARY KEY,  -- YYYY-MM, the month the source now ends with
    seed          BIGINT      NOT NULL,
    counts_json   TEXT        NOT NULL,              -- rows inserted and updated, per table
    advanced_at   TIMESTAMP   NOT NULL               -- wall clock (the only non-deterministic column)
)

-- Work tables of one advanced month (per connection): the receivable lines whose amount changes and
-- the titles whose amount follows, applied in one statement each (update_*_from_advance.sql).
CREATE TEMPORARY TABLE IF NOT EXISTS advance_receivable_updates (
    receivable_id    BIGINT      NOT NULL PRIMARY KEY,
    amount_centimes  BIGINT      NOT NULL,
    updated_at       TIMESTAMP   NOT NULL
);
CREATE TEMPORARY TABLE IF NOT EXISTS advance_title_updates (
    title_id         VARCHAR(20) NOT NULL PRIMARY KEY,
    delta_centimes   BIGINT      NOT NULL,
    updated_at       TIMESTAMP   NOT NULL
);
DELETE FROM advance_receivable_updates;
DELETE FROM advance_title_updates

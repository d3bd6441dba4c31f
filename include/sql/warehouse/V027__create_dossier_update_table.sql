-- Issue 17.8, fund-to-agency updates (recouvra.updates, docs/agency-exchange.md "Updates"): what the
-- fund learns about a placed debtor after the assignment (its own records, another agency's finding,
-- a plan signed with the fund), sent to the agency holding the dossier; one row per update sent.
CREATE TABLE IF NOT EXISTS core.dossier_update (
    agency_code    VARCHAR NOT NULL,
    dossier_id     VARCHAR NOT NULL,
    update_id      VARCHAR NOT NULL,
    field          VARCHAR NOT NULL,
    value          VARCHAR NOT NULL,
    source         VARCHAR NOT NULL,
    observed_date  DATE NOT NULL,
    sent_on        DATE NOT NULL,
    file_name      VARCHAR NOT NULL,
    recorded_at    TIMESTAMP NOT NULL,
    PRIMARY KEY (dossier_id, update_id),
    CHECK (source IN ('FUND', 'AGENCY'))
);
COMMENT ON TABLE core.dossier_update IS 'Updates sent to the agency holding a dossier: what the fund learned about the debtor after the assignment (its own records, another agency''s finding, a plan signed with the fund); an update is sent once per value.';
COMMENT ON COLUMN core.dossier_update.agency_code IS 'Agency holding the dossier, to which the update was sent.';
COMMENT ON COLUMN core.dossier_update.dossier_id IS 'The dossier the update is about (core.dossier).';
COMMENT ON COLUMN core.dossier_update.update_id IS 'The fund''s id of the update, unique within the dossier: <YYYYMMDD of the file>-<field>.';
COMMENT ON COLUMN core.dossier_update.field IS 'ADDRESS, CITY, PHONE, PHONE_2, EMAIL, LEGAL_REP, ACTIVITY_STATUS or PLAN_WITH_FUND.';
COMMENT ON COLUMN core.dossier_update.value IS 'The new value as the file carried it (phones in E.164; a plan: its total in MAD).';
COMMENT ON COLUMN core.dossier_update.source IS 'FUND (the fund''s own records) or AGENCY (another agency''s finding the fund applied).';
COMMENT ON COLUMN core.dossier_update.observed_date IS 'When the fund''s records changed, the other agency observed it, or the plan was signed.';
COMMENT ON COLUMN core.dossier_update.sent_on IS 'Day of the update file (the weekly run''s day).';
COMMENT ON COLUMN core.dossier_update.file_name IS 'The update file (CNSS_UPDATES_<AGENCY>_<YYYYMMDD>_<SEQ>.csv).';
COMMENT ON COLUMN core.dossier_update.recorded_at IS 'When the upload was recorded (UTC).';

-- The publication log takes every kind of file the exchange defines: its CHECK listed them, so each new
-- kind of file (UPDATES here) would need the table rebuilt again. The kinds are the code's
-- (recouvra.exchange.names.Outgoing, the acks); the table keeps them upper case and non-empty. DuckDB
-- cannot change a CHECK in place: the table is rebuilt with its rows.
CREATE TABLE core.publication_log_v027 (
    agency_code    VARCHAR       NOT NULL,
    file_name      VARCHAR       NOT NULL,
    file_type      VARCHAR       NOT NULL,
    period_label   VARCHAR       NOT NULL,
    seq            INTEGER,
    remote_path    VARCHAR       NOT NULL,
    sha256         VARCHAR       NOT NULL,
    row_count      BIGINT        NOT NULL,
    control_total  DECIMAL(18,2),
    published_at   TIMESTAMP     NOT NULL,
    PRIMARY KEY (agency_code, file_name),
    CHECK (file_type <> '' AND file_type = upper(file_type)),
    CHECK (length(sha256) = 64),
    CHECK (row_count >= 0)
);
INSERT INTO core.publication_log_v027 (agency_code, file_name, file_type, period_label, seq, remote_path, sha256,
                                       row_count, control_total, published_at)
SELECT agency_code, file_name, file_type, period_label, seq, remote_path, sha256, row_count, control_total,
       published_at
FROM core.publication_log;
DROP TABLE core.publication_log;
ALTER TABLE core.publication_log_v027 RENAME TO publication_log;
COMMENT ON TABLE core.publication_log IS 'Every file the fund wrote to an agency''s SFTP account (outbox/ and outbox/acks/): what went where, with its checksum, row count and control total.';
COMMENT ON COLUMN core.publication_log.file_name IS 'File name as published, e.g. CNSS_ASSIGN_AG01_202611_01.csv.';
COMMENT ON COLUMN core.publication_log.file_type IS 'ASSIGN, DETAIL, MANIFEST, RECALL, PAYMENTS, COMMISSION, UPDATES, ACK or REJECTS: the kinds of file the exchange defines (recouvra.exchange.names.Outgoing and the acks), upper case.';
COMMENT ON COLUMN core.publication_log.period_label IS 'Month (YYYYMM) or date (YYYYMMDD) in the file name; for acks, the stem of the file acknowledged.';
COMMENT ON COLUMN core.publication_log.seq IS 'Sequence number in the file name, NULL when it has none.';
COMMENT ON COLUMN core.publication_log.remote_path IS 'Path on the agency''s SFTP account, e.g. outbox/CNSS_ASSIGN_AG01_202611_01.csv.';
COMMENT ON COLUMN core.publication_log.sha256 IS 'SHA-256 (hex) of the file as written.';
COMMENT ON COLUMN core.publication_log.row_count IS 'Data rows in the file (0 for a manifest or ack).';
COMMENT ON COLUMN core.publication_log.control_total IS 'Sum of total_due, amount_due, amount or commission_this_month as the file type defines (MAD); NULL when not applicable.';
COMMENT ON COLUMN core.publication_log.published_at IS 'When the file was renamed to its final name (UTC).';
COMMENT ON COLUMN core.publication_log.agency_code IS 'Agency code, e.g. AG01 (core.dim_agency).';

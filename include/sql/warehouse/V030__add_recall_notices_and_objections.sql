-- Issue 17.1: pending recalls and objections (additions to agency-exchange/1, docs/agency-exchange.md
-- "Recall notices and objections"). A window about to end is announced by a recall notice
-- (core.recall_notice, file CNSS_RECALLNOTICE_...); the agency may object with its evidence (return
-- type OBJECTIONS, core.agency_objection); an accepted objection moves the recall date, once.
-- DuckDB cannot change a CHECK constraint: core.return_file is rebuilt with its new file type
-- (OBJECTIONS), rows, index and comments kept. core.publication_log takes RECALLNOTICE as it is: since
-- V027 it accepts every kind of file the exchange defines (upper case).

CREATE TABLE IF NOT EXISTS core.recall_notice (
    dossier_id            VARCHAR       NOT NULL,
    agency_code           VARCHAR       NOT NULL,
    reason                VARCHAR       NOT NULL,
    intended_recall_date  DATE          NOT NULL,
    objection_deadline    DATE,
    owed_amount           DECIMAL(18,2) NOT NULL,
    notified_on           DATE          NOT NULL,
    decided_at            TIMESTAMP     NOT NULL,
    file_name             VARCHAR,
    PRIMARY KEY (dossier_id, intended_recall_date),
    CHECK (reason IN ('EXPIRED')),
    CHECK (objection_deadline IS NULL OR objection_deadline <= intended_recall_date)
);
COMMENT ON TABLE core.recall_notice IS 'Recall notices: a recall announced to the agency before it is made (one row per intended date: the first notice, then the date an accepted objection set, with no objection open).';
COMMENT ON COLUMN core.recall_notice.dossier_id IS 'Dossier, e.g. D202611-000123 (core.dossier).';
COMMENT ON COLUMN core.recall_notice.agency_code IS 'Agency holding the dossier, e.g. AG01.';
COMMENT ON COLUMN core.recall_notice.reason IS 'Reason of the recall announced: EXPIRED (the window ends).';
COMMENT ON COLUMN core.recall_notice.intended_recall_date IS 'The agency''s last day unless an objection is accepted.';
COMMENT ON COLUMN core.recall_notice.objection_deadline IS 'Last day (fund calendar) an objection is received; NULL when none is open (the date already moved once).';
COMMENT ON COLUMN core.recall_notice.owed_amount IS 'What the dossier still owed on the day of the notice (MAD): the base of the minimum evidence amount.';
COMMENT ON COLUMN core.recall_notice.notified_on IS 'Lifecycle day that decided the notice (its notice file''s day).';
COMMENT ON COLUMN core.recall_notice.decided_at IS 'When the notice was decided (UTC).';
COMMENT ON COLUMN core.recall_notice.file_name IS 'Notice file (CNSS_RECALLNOTICE_...) that told the agency; NULL until published.';

CREATE TABLE IF NOT EXISTS core.agency_objection (
    agency_code      VARCHAR       NOT NULL,
    objection_id     VARCHAR       NOT NULL,
    dossier_id       VARCHAR       NOT NULL,
    objection_date   DATE          NOT NULL,
    evidence_type    VARCHAR       NOT NULL,
    evidence_ref     VARCHAR,
    evidence_amount  DECIMAL(18,2) NOT NULL,
    evidence_date    DATE          NOT NULL,
    comment          VARCHAR,
    extended_to      DATE          NOT NULL,
    return_file_id   BIGINT        NOT NULL,
    line_no          INTEGER       NOT NULL,
    PRIMARY KEY (agency_code, objection_id),
    CHECK (evidence_type IN ('PROMISE', 'PLAN_IN_SIGNATURE', 'PAYMENT_ANNOUNCED')),
    CHECK (evidence_amount > 0)
);
COMMENT ON TABLE core.agency_objection IS 'Accepted OBJECTIONS records: an agency''s objection to a recall notice that the fund''s rules accepted; its dossier''s recall date moves to extended_to (refused objections are in core.return_reject, E013 to E016).';
COMMENT ON COLUMN core.agency_objection.agency_code IS 'Agency code, e.g. AG01 (core.dim_agency).';
COMMENT ON COLUMN core.agency_objection.objection_id IS 'The agency''s id of the objection.';
COMMENT ON COLUMN core.agency_objection.dossier_id IS 'Dossier, e.g. D202611-000123 (core.dossier).';
COMMENT ON COLUMN core.agency_objection.objection_date IS 'Date the agency objected.';
COMMENT ON COLUMN core.agency_objection.evidence_type IS 'PROMISE, PLAN_IN_SIGNATURE or PAYMENT_ANNOUNCED.';
COMMENT ON COLUMN core.agency_objection.evidence_ref IS 'The agency''s reference of its evidence (promise, plan draft, payment order).';
COMMENT ON COLUMN core.agency_objection.evidence_amount IS 'Amount promised, planned or announced (MAD).';
COMMENT ON COLUMN core.agency_objection.evidence_date IS 'Date the payment or signature is expected.';
COMMENT ON COLUMN core.agency_objection.comment IS 'Agency''s free text.';
COMMENT ON COLUMN core.agency_objection.extended_to IS 'The recall date the acceptance set: evidence_date + margin_days, at most max_extension_days after the intended date (configuration at ingestion).';
COMMENT ON COLUMN core.agency_objection.return_file_id IS 'Return file the record came in (core.return_file).';
COMMENT ON COLUMN core.agency_objection.line_no IS 'Line of the record in its file, the header being line 1.';

CREATE TABLE core.return_file_v028 (
    return_file_id     BIGINT    NOT NULL DEFAULT nextval('core.return_file_id_seq') PRIMARY KEY,
    agency_code        VARCHAR   NOT NULL,
    file_name          VARCHAR   NOT NULL,
    file_type          VARCHAR,
    file_date          DATE,
    seq                INTEGER,
    sha256             VARCHAR   NOT NULL,
    size_bytes         BIGINT    NOT NULL,
    received_at        TIMESTAMP NOT NULL,
    processed_at       TIMESTAMP NOT NULL,
    status             VARCHAR   NOT NULL,
    rows_received      INTEGER   NOT NULL,
    rows_accepted      INTEGER   NOT NULL,
    rows_rejected      INTEGER   NOT NULL,
    rows_duplicate     INTEGER   NOT NULL,
    file_error_code    VARCHAR,
    file_error_detail  VARCHAR,
    warnings           VARCHAR,
    ack_file_name      VARCHAR   NOT NULL,
    ack_number         INTEGER,
    delivered_at       TIMESTAMP,
    UNIQUE (agency_code, file_name, sha256, received_at),
    CHECK (file_type IS NULL OR file_type IN ('ACTIONS', 'CONTACTS', 'PAYMENTS', 'PLANS', 'CLOSURES',
                                              'OBJECTIONS')),
    CHECK (length(sha256) = 64),
    CHECK (status IN ('ACCEPTED', 'PARTIAL', 'REJECTED', 'DUPLICATE')),
    CHECK (rows_received = rows_accepted + rows_rejected + rows_duplicate),
    CHECK (rows_accepted >= 0 AND rows_rejected >= 0 AND rows_duplicate >= 0),
    CHECK ((file_error_code IS NULL) OR status = 'REJECTED')
);
INSERT INTO core.return_file_v028 (return_file_id, agency_code, file_name, file_type, file_date, seq, sha256,
    size_bytes, received_at, processed_at, status, rows_received, rows_accepted, rows_rejected,
    rows_duplicate, file_error_code, file_error_detail, warnings, ack_file_name, ack_number, delivered_at)
SELECT return_file_id, agency_code, file_name, file_type, file_date, seq, sha256, size_bytes, received_at,
    processed_at, status, rows_received, rows_accepted, rows_rejected, rows_duplicate, file_error_code,
    file_error_detail, warnings, ack_file_name, ack_number, delivered_at
FROM core.return_file;
DROP INDEX IF EXISTS core.return_file_ack_once;
DROP TABLE core.return_file;
ALTER TABLE core.return_file_v028 RENAME TO return_file;
CREATE UNIQUE INDEX IF NOT EXISTS return_file_ack_once
    ON core.return_file (agency_code, ack_file_name, ack_number);
COMMENT ON TABLE core.return_file IS 'Registry of every file an agency dropped in its inbox/, one row per file received (a file sent twice gets two rows, the second DUPLICATE), with the counts of its acknowledgement: rows_received = accepted + rejected + duplicate.';
COMMENT ON COLUMN core.return_file.return_file_id IS 'Warehouse id of the file received (sequence core.return_file_id_seq).';
COMMENT ON COLUMN core.return_file.agency_code IS 'Agency whose SFTP account the file came from.';
COMMENT ON COLUMN core.return_file.file_name IS 'Name as received, e.g. AG01_PAYMENTS_20261115_01.csv.';
COMMENT ON COLUMN core.return_file.file_type IS 'ACTIONS, CONTACTS, PAYMENTS, PLANS, CLOSURES or OBJECTIONS; NULL when the name cannot be read (F001).';
COMMENT ON COLUMN core.return_file.file_date IS 'Date in the file name (YYYYMMDD).';
COMMENT ON COLUMN core.return_file.seq IS 'Sequence number in the file name.';
COMMENT ON COLUMN core.return_file.sha256 IS 'SHA-256 (hex) of the bytes received; a second file with the same digest from the same agency is DUPLICATE.';
COMMENT ON COLUMN core.return_file.size_bytes IS 'Size of the file received.';
COMMENT ON COLUMN core.return_file.received_at IS 'When the fund fetched the file from inbox/, by the fund''s clock (UTC); for files registered before V020, the modification time the agency''s server showed.';
COMMENT ON COLUMN core.return_file.processed_at IS 'When it was judged and acknowledged (UTC).';
COMMENT ON COLUMN core.return_file.status IS 'DUPLICATE, REJECTED, ACCEPTED or PARTIAL, as in the acknowledgement.';
COMMENT ON COLUMN core.return_file.rows_received IS 'Records in the file (0 when it cannot be decoded or parsed).';
COMMENT ON COLUMN core.return_file.rows_accepted IS 'Records loaded into the accepted-record table of its type.';
COMMENT ON COLUMN core.return_file.rows_rejected IS 'Records rejected (in core.return_reject, or all records of a file rejected whole).';
COMMENT ON COLUMN core.return_file.rows_duplicate IS 'Records already received with the same id and content, ignored.';
COMMENT ON COLUMN core.return_file.file_error_code IS 'File-level error F001 to F008 that rejected the whole file; NULL otherwise.';
COMMENT ON COLUMN core.return_file.file_error_detail IS 'Detail of the file-level error, as in the acknowledgement.';
COMMENT ON COLUMN core.return_file.warnings IS 'Warnings of the acknowledgement, one per line.';
COMMENT ON COLUMN core.return_file.ack_file_name IS 'Acknowledgement written for this file alone, e.g. AG01_PAYMENTS_20261115_01.ack.json, or AG01_PAYMENTS_20261115_01.ack.2.json for the second file of that stem.';
COMMENT ON COLUMN core.return_file.ack_number IS 'Which file of its stem (the name without .csv) this is for the agency: 1 for the first, acknowledged under the contract''s name <stem>.ack.json; n for the n-th, acknowledged as <stem>.ack.<n>.json (with <stem>.rejects.<n>.csv). NULL for files registered before V020.';
COMMENT ON COLUMN core.return_file.delivered_at IS 'When the fund had delivered the acknowledgement and was done with the file in inbox/ (moved it to inbox/processed/, or found it moved or replaced since) (UTC); from then on the same name and bytes in inbox/ are a new upload. NULL until then: the file fetched again is the same upload and its acknowledgement is replayed.';

-- Stage 4: agency return files (agency-exchange/1): the registry of files received, the records
-- accepted per type, and the quarantine of rejected records. A record is identified by the agency's
-- own id, unique within the agency and type (plans: plan_id and status).

CREATE SEQUENCE IF NOT EXISTS core.return_file_id_seq START 1;

CREATE TABLE IF NOT EXISTS core.return_file (
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
    UNIQUE (agency_code, file_name, sha256, received_at),
    CHECK (file_type IS NULL OR file_type IN ('ACTIONS', 'CONTACTS', 'PAYMENTS', 'PLANS', 'CLOSURES')),
    CHECK (length(sha256) = 64),
    CHECK (status IN ('ACCEPTED', 'PARTIAL', 'REJECTED', 'DUPLICATE')),
    CHECK (rows_received = rows_accepted + rows_rejected + rows_duplicate),
    CHECK (rows_accepted >= 0 AND rows_rejected >= 0 AND rows_duplicate >= 0),
    CHECK ((file_error_code IS NULL) OR status = 'REJECTED')
);
COMMENT ON TABLE core.return_file IS 'Registry of every file an agency dropped in its inbox/, one row per file received (a file sent twice gets two rows, the second DUPLICATE), with the counts of its acknowledgement: rows_received = accepted + rejected + duplicate.';
COMMENT ON COLUMN core.return_file.return_file_id IS 'Warehouse id of the file received (sequence core.return_file_id_seq).';
COMMENT ON COLUMN core.return_file.agency_code IS 'Agency whose SFTP account the file came from.';
COMMENT ON COLUMN core.return_file.file_name IS 'Name as received, e.g. AG01_PAYMENTS_20261115_01.csv.';
COMMENT ON COLUMN core.return_file.file_type IS 'ACTIONS, CONTACTS, PAYMENTS, PLANS or CLOSURES; NULL when the name cannot be read (F001).';
COMMENT ON COLUMN core.return_file.file_date IS 'Date in the file name (YYYYMMDD).';
COMMENT ON COLUMN core.return_file.seq IS 'Sequence number in the file name.';
COMMENT ON COLUMN core.return_file.sha256 IS 'SHA-256 (hex) of the bytes received; a second file with the same digest from the same agency is DUPLICATE.';
COMMENT ON COLUMN core.return_file.size_bytes IS 'Size of the file received.';
COMMENT ON COLUMN core.return_file.received_at IS 'When the file was found complete in inbox/ (UTC).';
COMMENT ON COLUMN core.return_file.processed_at IS 'When it was judged and acknowledged (UTC).';
COMMENT ON COLUMN core.return_file.status IS 'DUPLICATE, REJECTED, ACCEPTED or PARTIAL, as in the acknowledgement.';
COMMENT ON COLUMN core.return_file.rows_received IS 'Records in the file (0 when it cannot be decoded or parsed).';
COMMENT ON COLUMN core.return_file.rows_accepted IS 'Records loaded into the accepted-record table of its type.';
COMMENT ON COLUMN core.return_file.rows_rejected IS 'Records rejected (in core.return_reject, or all records of a file rejected whole).';
COMMENT ON COLUMN core.return_file.rows_duplicate IS 'Records already received with the same id and content, ignored.';
COMMENT ON COLUMN core.return_file.file_error_code IS 'File-level error F001 to F008 that rejected the whole file; NULL otherwise.';
COMMENT ON COLUMN core.return_file.file_error_detail IS 'Detail of the file-level error, as in the acknowledgement.';
COMMENT ON COLUMN core.return_file.warnings IS 'Warnings of the acknowledgement, one per line.';
COMMENT ON COLUMN core.return_file.ack_file_name IS 'Acknowledgement written, e.g. AG01_PAYMENTS_20261115_01.ack.json.';

CREATE TABLE IF NOT EXISTS core.return_reject (
    return_file_id  BIGINT  NOT NULL,
    line_no         INTEGER NOT NULL,
    record_id       VARCHAR,
    reason_code     VARCHAR NOT NULL,
    detail          VARCHAR NOT NULL,
    raw_line        VARCHAR NOT NULL,
    PRIMARY KEY (return_file_id, line_no),
    CHECK (line_no >= 2),
    CHECK (reason_code LIKE 'E___')
);
COMMENT ON TABLE core.return_reject IS 'Quarantine of rejected records: each rejected row of a return file, verbatim, with the reason sent back in the rejects file.';
COMMENT ON COLUMN core.return_reject.line_no IS 'Physical line on which the record starts, the header being line 1.';
COMMENT ON COLUMN core.return_reject.record_id IS 'The agency''s id of the record (action_id, update_id, ...), when it could be read.';
COMMENT ON COLUMN core.return_reject.reason_code IS 'Row-level error code E001 to E012 (agency-exchange/1).';
COMMENT ON COLUMN core.return_reject.detail IS 'Human-readable detail, as written to the rejects file.';
COMMENT ON COLUMN core.return_reject.raw_line IS 'The record exactly as received (all its physical lines), decoded as UTF-8.';
COMMENT ON COLUMN core.return_reject.return_file_id IS 'Return file the record came in (core.return_file).';

CREATE TABLE IF NOT EXISTS core.agency_action (
    agency_code     VARCHAR       NOT NULL,
    action_id       VARCHAR       NOT NULL,
    dossier_id      VARCHAR       NOT NULL,
    action_date     DATE          NOT NULL,
    action_type     VARCHAR       NOT NULL,
    outcome         VARCHAR       NOT NULL,
    promise_amount  DECIMAL(18,2),
    promise_date    DATE,
    comment         VARCHAR,
    return_file_id  BIGINT        NOT NULL,
    line_no         INTEGER       NOT NULL,
    PRIMARY KEY (agency_code, action_id),
    CHECK (action_type IN ('CALL', 'SMS', 'EMAIL', 'LETTER', 'VISIT', 'FORMAL_NOTICE', 'ASSET_SEARCH')),
    CHECK (outcome IN ('RIGHT_PARTY_CONTACT', 'NO_ANSWER', 'WRONG_CONTACT', 'PROMISE_TO_PAY', 'REFUSAL',
                       'DISPUTE', 'DEBTOR_NOT_FOUND', 'CEASED_ACTIVITY', 'INSOLVENT', 'ASSETS_FOUND',
                       'NO_ASSETS_FOUND')),
    CHECK (outcome <> 'PROMISE_TO_PAY' OR (promise_amount > 0 AND promise_date IS NOT NULL))
);
COMMENT ON TABLE core.agency_action IS 'Accepted ACTIONS records: what an agency did on a dossier and with what outcome (right-party contact, promise to pay, assets found ...).';
COMMENT ON COLUMN core.agency_action.action_id IS 'The agency''s id of the action, unique within the agency.';
COMMENT ON COLUMN core.agency_action.action_type IS 'CALL, SMS, EMAIL, LETTER, VISIT, FORMAL_NOTICE or ASSET_SEARCH.';
COMMENT ON COLUMN core.agency_action.outcome IS 'Outcome code (agency-exchange/1); drives the contact, promise, location and asset KPIs.';
COMMENT ON COLUMN core.agency_action.promise_amount IS 'Amount promised (MAD), required for PROMISE_TO_PAY.';
COMMENT ON COLUMN core.agency_action.promise_date IS 'Date by which payment was promised, required for PROMISE_TO_PAY.';
COMMENT ON COLUMN core.agency_action.comment IS 'Agency''s free text.';
COMMENT ON COLUMN core.agency_action.return_file_id IS 'File the record came in (core.return_file).';
COMMENT ON COLUMN core.agency_action.line_no IS 'Line of the record in that file, the header being line 1.';
COMMENT ON COLUMN core.agency_action.agency_code IS 'Agency code, e.g. AG01 (core.dim_agency).';
COMMENT ON COLUMN core.agency_action.dossier_id IS 'Dossier, e.g. D202611-000123 (core.dossier).';
COMMENT ON COLUMN core.agency_action.action_date IS 'Date of the action.';

CREATE TABLE IF NOT EXISTS core.agency_contact_update (
    agency_code       VARCHAR   NOT NULL,
    update_id         VARCHAR   NOT NULL,
    dossier_id        VARCHAR   NOT NULL,
    debtor_id         BIGINT    NOT NULL,
    field             VARCHAR   NOT NULL,
    value             VARCHAR   NOT NULL,
    value_normalised  VARCHAR   NOT NULL,
    observed_date     DATE      NOT NULL,
    evidence          VARCHAR,
    apply_status      VARCHAR   NOT NULL,
    applied_at        TIMESTAMP,
    return_file_id    BIGINT    NOT NULL,
    line_no           INTEGER   NOT NULL,
    PRIMARY KEY (agency_code, update_id),
    CHECK (field IN ('ADDRESS', 'CITY', 'PHONE', 'EMAIL', 'LEGAL_REP', 'ACTIVITY_STATUS', 'ASSET')),
    CHECK (apply_status IN ('PENDING', 'APPLIED', 'SUPERSEDED', 'NOT_APPLICABLE')),
    CHECK ((apply_status = 'APPLIED') = (applied_at IS NOT NULL))
);
COMMENT ON TABLE core.agency_contact_update IS 'Accepted CONTACTS records: debtor data found by agencies, with provenance (agency, observed date, evidence), and whether it updated the golden record (core.dim_debtor, core.debtor_history).';
COMMENT ON COLUMN core.agency_contact_update.update_id IS 'The agency''s id of the update, unique within the agency.';
COMMENT ON COLUMN core.agency_contact_update.debtor_id IS 'Debtor of the dossier when the update was accepted.';
COMMENT ON COLUMN core.agency_contact_update.field IS 'ADDRESS, CITY, PHONE, EMAIL, LEGAL_REP, ACTIVITY_STATUS or ASSET.';
COMMENT ON COLUMN core.agency_contact_update.value IS 'Value as sent by the agency.';
COMMENT ON COLUMN core.agency_contact_update.value_normalised IS 'Value as the fund stores it: E.164 phone, lower-case email, canonical city, code.';
COMMENT ON COLUMN core.agency_contact_update.observed_date IS 'Date the agency observed the value.';
COMMENT ON COLUMN core.agency_contact_update.evidence IS 'How the agency knows (source, document), as sent.';
COMMENT ON COLUMN core.agency_contact_update.apply_status IS 'PENDING, APPLIED (golden record updated), SUPERSEDED (a newer observation won), NOT_APPLICABLE (ASSET: kept as a record only).';
COMMENT ON COLUMN core.agency_contact_update.applied_at IS 'When it was applied to the golden record (UTC).';
COMMENT ON COLUMN core.agency_contact_update.agency_code IS 'Agency code, e.g. AG01 (core.dim_agency).';
COMMENT ON COLUMN core.agency_contact_update.dossier_id IS 'Dossier, e.g. D202611-000123 (core.dossier).';
COMMENT ON COLUMN core.agency_contact_update.return_file_id IS 'Return file the record came in (core.return_file).';
COMMENT ON COLUMN core.agency_contact_update.line_no IS 'Line of the record in its file, the header being line 1.';

CREATE TABLE IF NOT EXISTS core.agency_payment (
    agency_code     VARCHAR       NOT NULL,
    payment_id      VARCHAR       NOT NULL,
    dossier_id      VARCHAR       NOT NULL,
    payment_date    DATE          NOT NULL,
    amount          DECIMAL(18,2) NOT NULL,
    channel         VARCHAR       NOT NULL,
    receipt_ref     VARCHAR,
    return_file_id  BIGINT        NOT NULL,
    line_no         INTEGER       NOT NULL,
    PRIMARY KEY (agency_code, payment_id),
    CHECK (amount > 0),
    CHECK (channel IN ('BANK_TRANSFER', 'CHEQUE', 'FUND_COUNTER', 'ONLINE'))
);
COMMENT ON TABLE core.agency_payment IS 'Accepted PAYMENTS records: payments an agency reports; they earn nothing until matched to the fund''s ledger (core.payment_match).';
COMMENT ON COLUMN core.agency_payment.payment_id IS 'The agency''s id of the payment, unique within the agency.';
COMMENT ON COLUMN core.agency_payment.amount IS 'Amount reported (MAD).';
COMMENT ON COLUMN core.agency_payment.channel IS 'BANK_TRANSFER, CHEQUE, FUND_COUNTER or ONLINE.';
COMMENT ON COLUMN core.agency_payment.receipt_ref IS 'Fund receipt number when the agency knows it; first key for matching.';
COMMENT ON COLUMN core.agency_payment.agency_code IS 'Agency code, e.g. AG01 (core.dim_agency).';
COMMENT ON COLUMN core.agency_payment.dossier_id IS 'Dossier, e.g. D202611-000123 (core.dossier).';
COMMENT ON COLUMN core.agency_payment.payment_date IS 'Date of the payment.';
COMMENT ON COLUMN core.agency_payment.return_file_id IS 'Return file the record came in (core.return_file).';
COMMENT ON COLUMN core.agency_payment.line_no IS 'Line of the record in its file, the header being line 1.';

CREATE TABLE IF NOT EXISTS core.agency_plan (
    agency_code     VARCHAR       NOT NULL,
    plan_id         VARCHAR       NOT NULL,
    status          VARCHAR       NOT NULL,
    dossier_id      VARCHAR       NOT NULL,
    request_date    DATE          NOT NULL,
    installments    INTEGER       NOT NULL,
    first_due_date  DATE          NOT NULL,
    total_amount    DECIMAL(18,2) NOT NULL,
    return_file_id  BIGINT        NOT NULL,
    line_no         INTEGER       NOT NULL,
    PRIMARY KEY (agency_code, plan_id, status),
    CHECK (status IN ('REQUESTED', 'SIGNED')),
    CHECK (installments BETWEEN 2 AND 36),
    CHECK (total_amount > 0)
);
COMMENT ON TABLE core.agency_plan IS 'Accepted PLANS records: instalment plans an agency obtained, sent first as REQUESTED and later as SIGNED under the same plan_id (one row each); drives plan activation and plan kept KPIs.';
COMMENT ON COLUMN core.agency_plan.plan_id IS 'The agency''s id of the plan.';
COMMENT ON COLUMN core.agency_plan.status IS 'REQUESTED or SIGNED.';
COMMENT ON COLUMN core.agency_plan.installments IS 'Number of instalments, 2 to 36.';
COMMENT ON COLUMN core.agency_plan.first_due_date IS 'Due date of the first instalment.';
COMMENT ON COLUMN core.agency_plan.total_amount IS 'Total the plan covers (MAD), at most the dossier''s total_due.';
COMMENT ON COLUMN core.agency_plan.agency_code IS 'Agency code, e.g. AG01 (core.dim_agency).';
COMMENT ON COLUMN core.agency_plan.dossier_id IS 'Dossier, e.g. D202611-000123 (core.dossier).';
COMMENT ON COLUMN core.agency_plan.request_date IS 'Date the plan was requested.';
COMMENT ON COLUMN core.agency_plan.return_file_id IS 'Return file the record came in (core.return_file).';
COMMENT ON COLUMN core.agency_plan.line_no IS 'Line of the record in its file, the header being line 1.';

CREATE TABLE IF NOT EXISTS core.agency_closure (
    agency_code     VARCHAR NOT NULL,
    closure_id      VARCHAR NOT NULL,
    dossier_id      VARCHAR NOT NULL,
    closure_date    DATE    NOT NULL,
    reason          VARCHAR NOT NULL,
    comment         VARCHAR,
    return_file_id  BIGINT  NOT NULL,
    line_no         INTEGER NOT NULL,
    PRIMARY KEY (agency_code, closure_id),
    CHECK (reason IN ('PAID_IN_FULL', 'INSOLVENT', 'CEASED_NO_ASSETS', 'UNREACHABLE', 'DISPUTED', 'OTHER'))
);
COMMENT ON TABLE core.agency_closure IS 'Accepted CLOSURES records: an agency''s proposal to stop work on a dossier, with its reason; the fund decides the recall.';
COMMENT ON COLUMN core.agency_closure.closure_id IS 'The agency''s id of the closure.';
COMMENT ON COLUMN core.agency_closure.reason IS 'PAID_IN_FULL, INSOLVENT, CEASED_NO_ASSETS, UNREACHABLE, DISPUTED or OTHER.';
COMMENT ON COLUMN core.agency_closure.agency_code IS 'Agency code, e.g. AG01 (core.dim_agency).';
COMMENT ON COLUMN core.agency_closure.dossier_id IS 'Dossier, e.g. D202611-000123 (core.dossier).';
COMMENT ON COLUMN core.agency_closure.closure_date IS 'Date the agency closed its work on the dossier.';
COMMENT ON COLUMN core.agency_closure.comment IS 'Agency''s free text.';
COMMENT ON COLUMN core.agency_closure.return_file_id IS 'Return file the record came in (core.return_file).';
COMMENT ON COLUMN core.agency_closure.line_no IS 'Line of the record in its file, the header being line 1.';

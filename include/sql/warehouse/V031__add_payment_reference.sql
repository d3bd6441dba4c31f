-- Issue 17.4, payment reference (docs/reconciliation.md "Matching", docs/agency-exchange.md "Payment
-- reference"): each dossier has an ISO 11649 RF reference derived from its id (recouvra.exchange.payment_ref,
-- never stored: it reads back into the dossier id), sent in the assignment file for the debtor to quote.
-- The fund's ledger keeps the reference a payer quoted (source ledger_payments.payment_ref, nullable, as
-- quoted), carried into staging and core; reconciliation matches a ledger payment whose quoted reference
-- is valid to that dossier's agency payments first (match_rule PAYMENT_REF). Entries loaded before this
-- migration quoted nothing (NULL).
-- staging.ledger_payments mirrors the source's columns in the source's order (payment_ref after channel):
-- rebuilt (neither engine adds a column in the middle), its rows kept with payment_ref NULL.
CREATE TABLE staging.ledger_payments_v030 (
    payment_id           BIGINT    NOT NULL PRIMARY KEY,
    receipt_no           VARCHAR   NOT NULL,
    affiliation_no       VARCHAR   NOT NULL,
    payment_date         DATE      NOT NULL,
    amount_centimes      BIGINT    NOT NULL,
    settles_period       VARCHAR   NOT NULL,
    kind                 VARCHAR   NOT NULL,
    reverses_payment_id  BIGINT,
    channel              VARCHAR   NOT NULL,
    payment_ref          VARCHAR,
    recorded_at          TIMESTAMP NOT NULL,
    updated_at           TIMESTAMP,
    snapshot_date        DATE      NOT NULL
);
INSERT INTO staging.ledger_payments_v030 (payment_id, receipt_no, affiliation_no, payment_date, amount_centimes,
    settles_period, kind, reverses_payment_id, channel, recorded_at, updated_at, snapshot_date)
SELECT payment_id, receipt_no, affiliation_no, payment_date, amount_centimes, settles_period, kind,
       reverses_payment_id, channel, recorded_at, updated_at, snapshot_date
FROM staging.ledger_payments;
DROP TABLE staging.ledger_payments;
ALTER TABLE staging.ledger_payments_v030 RENAME TO ledger_payments;
COMMENT ON TABLE staging.ledger_payments IS 'The fund''s own payment ledger as in the source, reversals included; reconciled into core.ledger_payment.';
COMMENT ON COLUMN staging.ledger_payments.payment_id IS 'The ledger''s id of the entry (ledger_payment_id in agency files and in core).';
COMMENT ON COLUMN staging.ledger_payments.receipt_no IS 'The fund''s receipt number.';
COMMENT ON COLUMN staging.ledger_payments.amount_centimes IS 'Amount in centimes; negative for a REVERSAL.';
COMMENT ON COLUMN staging.ledger_payments.settles_period IS 'Contribution month settled, YYYY-MM.';
COMMENT ON COLUMN staging.ledger_payments.kind IS 'PAYMENT or REVERSAL.';
COMMENT ON COLUMN staging.ledger_payments.reverses_payment_id IS 'For a REVERSAL, the payment_id it reverses.';
COMMENT ON COLUMN staging.ledger_payments.channel IS 'BANK_TRANSFER, CHEQUE, FUND_COUNTER or ONLINE.';
COMMENT ON COLUMN staging.ledger_payments.payment_ref IS 'Payment reference the payer quoted (an RF reference naming a dossier), as quoted; NULL when none.';
COMMENT ON COLUMN staging.ledger_payments.recorded_at IS 'When the ledger recorded the entry.';
COMMENT ON COLUMN staging.ledger_payments.updated_at IS 'Last change in the source.';
COMMENT ON COLUMN staging.ledger_payments.snapshot_date IS 'Lake snapshot that delivered this version of the row.';
COMMENT ON COLUMN staging.ledger_payments.affiliation_no IS 'The fund''s employer affiliation number.';
COMMENT ON COLUMN staging.ledger_payments.payment_date IS 'Date of the payment.';
ALTER TABLE core.ledger_payment ADD COLUMN payment_ref VARCHAR;
COMMENT ON COLUMN core.ledger_payment.payment_ref IS 'Payment reference the payer quoted, as quoted (RF + check digits + the dossier id''s digits); when its check digits are right it names the dossier the payment is matched and, when it qualifies, attributed to first. NULL when none.';

-- core.payment_match takes a third rule. Rebuilt (DuckDB cannot change a CHECK constraint in place);
-- its rows are kept (reconciliation replaces them at its next run anyway).
CREATE TABLE core.payment_match_v030 (
    agency_code        VARCHAR   NOT NULL,
    payment_id         VARCHAR   NOT NULL,
    ledger_payment_id  BIGINT    NOT NULL,
    match_rule         VARCHAR   NOT NULL,
    day_gap            INTEGER   NOT NULL,
    matched_at         TIMESTAMP NOT NULL,
    PRIMARY KEY (agency_code, payment_id),
    UNIQUE (ledger_payment_id),
    CHECK (match_rule IN ('PAYMENT_REF', 'RECEIPT_REF', 'DEBTOR_AMOUNT_DATE')),
    CHECK (day_gap >= 0 AND (day_gap <= 5 OR match_rule IN ('PAYMENT_REF', 'RECEIPT_REF')))
);
INSERT INTO core.payment_match_v030 (agency_code, payment_id, ledger_payment_id, match_rule, day_gap, matched_at)
SELECT agency_code, payment_id, ledger_payment_id, match_rule, day_gap, matched_at
FROM core.payment_match;
DROP TABLE core.payment_match;
ALTER TABLE core.payment_match_v030 RENAME TO payment_match;
COMMENT ON TABLE core.payment_match IS 'Agency-reported payment (core.agency_payment) confirmed by a ledger payment; an agency payment without a row here is unconfirmed.';
COMMENT ON COLUMN core.payment_match.payment_id IS 'The agency''s id of the payment it reported.';
COMMENT ON COLUMN core.payment_match.ledger_payment_id IS 'Ledger payment that confirms it (each confirms at most one).';
COMMENT ON COLUMN core.payment_match.match_rule IS 'PAYMENT_REF (the ledger payment quotes the dossier''s valid payment reference), RECEIPT_REF (same fund receipt number) or DEBTOR_AMOUNT_DATE (same debtor and amount, dates at most 5 days apart).';
COMMENT ON COLUMN core.payment_match.day_gap IS 'Days between the agency''s and the ledger''s payment dates.';
COMMENT ON COLUMN core.payment_match.agency_code IS 'Agency code, e.g. AG01 (core.dim_agency).';
COMMENT ON COLUMN core.payment_match.matched_at IS 'When the match was made (UTC).';

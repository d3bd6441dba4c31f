-- Stage 5: the fund's ledger, matching of agency-reported payments, attribution of ledger payments
-- to dossiers, and the monthly commission statement. Money is DECIMAL(18,2) MAD.

CREATE TABLE IF NOT EXISTS core.ledger_payment (
    ledger_payment_id    BIGINT        NOT NULL PRIMARY KEY,
    receipt_no           VARCHAR       NOT NULL,
    affiliation_no       VARCHAR       NOT NULL,
    debtor_id            BIGINT,
    payment_date         DATE          NOT NULL,
    amount               DECIMAL(18,2) NOT NULL,
    kind                 VARCHAR       NOT NULL,
    reverses_payment_id  BIGINT,
    settles_period       DATE          NOT NULL,
    channel              VARCHAR       NOT NULL,
    first_seen_on        DATE          NOT NULL,
    CHECK (kind IN ('PAYMENT', 'REVERSAL')),
    CHECK ((kind = 'PAYMENT' AND amount > 0 AND reverses_payment_id IS NULL)
        OR (kind = 'REVERSAL' AND amount < 0 AND reverses_payment_id IS NOT NULL)),
    CHECK (EXTRACT(DAY FROM settles_period) = 1)
);
COMMENT ON TABLE core.ledger_payment IS 'The fund''s own payment ledger, cumulative (upserted from staging.ledger_payments, amounts converted from centimes), reversals included: the only payments that can earn commission.';
COMMENT ON COLUMN core.ledger_payment.ledger_payment_id IS 'The ledger''s id of the entry (payment_id in the source).';
COMMENT ON COLUMN core.ledger_payment.debtor_id IS 'Debtor of affiliation_no (core.bridge_affiliation_debtor) on payment_date; NULL when not resolved yet.';
COMMENT ON COLUMN core.ledger_payment.amount IS 'MAD; positive for a PAYMENT, negative for a REVERSAL.';
COMMENT ON COLUMN core.ledger_payment.kind IS 'PAYMENT or REVERSAL.';
COMMENT ON COLUMN core.ledger_payment.reverses_payment_id IS 'For a REVERSAL, the payment it reverses.';
COMMENT ON COLUMN core.ledger_payment.settles_period IS 'Contribution month settled (first day).';
COMMENT ON COLUMN core.ledger_payment.receipt_no IS 'The fund''s receipt number; an agency payment with this receipt_ref is matched to it.';
COMMENT ON COLUMN core.ledger_payment.channel IS 'BANK_TRANSFER, CHEQUE, FUND_COUNTER or ONLINE.';
COMMENT ON COLUMN core.ledger_payment.first_seen_on IS 'Snapshot date of the first extract that held the entry.';
COMMENT ON COLUMN core.ledger_payment.affiliation_no IS 'The fund''s employer affiliation number.';
COMMENT ON COLUMN core.ledger_payment.payment_date IS 'Date of the payment.';

CREATE TABLE IF NOT EXISTS core.ledger_payment_notice (
    agency_code        VARCHAR   NOT NULL,
    ledger_payment_id  BIGINT    NOT NULL,
    dossier_id         VARCHAR   NOT NULL,
    file_name          VARCHAR   NOT NULL,
    notified_at        TIMESTAMP NOT NULL,
    PRIMARY KEY (agency_code, ledger_payment_id, dossier_id)
);
COMMENT ON TABLE core.ledger_payment_notice IS 'Ledger payments already told to an agency in a weekly CNSS_PAYMENTS file, so that the next file holds only what is new.';
COMMENT ON COLUMN core.ledger_payment_notice.file_name IS 'The CNSS_PAYMENTS_... file that carried the row.';
COMMENT ON COLUMN core.ledger_payment_notice.notified_at IS 'When that file was published (UTC).';
COMMENT ON COLUMN core.ledger_payment_notice.agency_code IS 'Agency code, e.g. AG01 (core.dim_agency).';
COMMENT ON COLUMN core.ledger_payment_notice.ledger_payment_id IS 'Ledger payment (core.ledger_payment).';
COMMENT ON COLUMN core.ledger_payment_notice.dossier_id IS 'Dossier, e.g. D202611-000123 (core.dossier).';

CREATE TABLE IF NOT EXISTS core.payment_match (
    agency_code        VARCHAR   NOT NULL,
    payment_id         VARCHAR   NOT NULL,
    ledger_payment_id  BIGINT    NOT NULL,
    match_rule         VARCHAR   NOT NULL,
    day_gap            INTEGER   NOT NULL,
    matched_at         TIMESTAMP NOT NULL,
    PRIMARY KEY (agency_code, payment_id),
    UNIQUE (ledger_payment_id),
    CHECK (match_rule IN ('RECEIPT_REF', 'DEBTOR_AMOUNT_DATE')),
    CHECK (day_gap >= 0 AND (day_gap <= 5 OR match_rule = 'RECEIPT_REF'))
);
COMMENT ON TABLE core.payment_match IS 'Agency-reported payment (core.agency_payment) confirmed by a ledger payment; an agency payment without a row here is unconfirmed.';
COMMENT ON COLUMN core.payment_match.payment_id IS 'The agency''s id of the payment it reported.';
COMMENT ON COLUMN core.payment_match.ledger_payment_id IS 'Ledger payment that confirms it (each confirms at most one).';
COMMENT ON COLUMN core.payment_match.match_rule IS 'RECEIPT_REF (same fund receipt number) or DEBTOR_AMOUNT_DATE (same debtor and amount, dates at most 5 days apart).';
COMMENT ON COLUMN core.payment_match.day_gap IS 'Days between the agency''s and the ledger''s payment dates.';
COMMENT ON COLUMN core.payment_match.agency_code IS 'Agency code, e.g. AG01 (core.dim_agency).';
COMMENT ON COLUMN core.payment_match.matched_at IS 'When the match was made (UTC).';

CREATE TABLE IF NOT EXISTS core.attribution (
    ledger_payment_id   BIGINT        NOT NULL,
    dossier_id          VARCHAR       NOT NULL,
    agency_code         VARCHAR       NOT NULL,
    amount              DECIMAL(18,2) NOT NULL,
    payment_date        DATE          NOT NULL,
    settles_period      DATE          NOT NULL,
    attribution_month   DATE          NOT NULL,
    attributed_at       TIMESTAMP     NOT NULL,
    PRIMARY KEY (ledger_payment_id, dossier_id),
    CHECK (amount <> 0),
    CHECK (EXTRACT(DAY FROM attribution_month) = 1)
);
COMMENT ON TABLE core.attribution IS 'Ledger payments that count for an agency: for the dossier''s debtor, dated within the assignment window (and not after recall), settling an assigned month. A reversal of an attributed payment is attributed negatively.';
COMMENT ON COLUMN core.attribution.amount IS 'Amount attributed to the dossier (MAD), negative for a reversal; never more than the dossier still owes.';
COMMENT ON COLUMN core.attribution.payment_date IS 'Ledger payment date.';
COMMENT ON COLUMN core.attribution.settles_period IS 'Assigned contribution month it settles (first day).';
COMMENT ON COLUMN core.attribution.attribution_month IS 'Commission statement month in which it first counts (first day).';
COMMENT ON COLUMN core.attribution.attributed_at IS 'When it was attributed (UTC).';
COMMENT ON COLUMN core.attribution.ledger_payment_id IS 'Ledger payment (core.ledger_payment).';
COMMENT ON COLUMN core.attribution.dossier_id IS 'Dossier, e.g. D202611-000123 (core.dossier).';
COMMENT ON COLUMN core.attribution.agency_code IS 'Agency code, e.g. AG01 (core.dim_agency).';

CREATE TABLE IF NOT EXISTS core.commission_statement (
    statement_month          DATE          NOT NULL,
    dossier_id               VARCHAR       NOT NULL,
    agency_code              VARCHAR       NOT NULL,
    attributed_amount        DECIMAL(18,2) NOT NULL,
    commission_rate          DECIMAL(6,4)  NOT NULL,
    commission_cap           DECIMAL(18,2) NOT NULL,
    commission_before_cap    DECIMAL(18,2) NOT NULL,
    commission_paid_to_date  DECIMAL(18,2) NOT NULL,
    commission_this_month    DECIMAL(18,2) NOT NULL,
    cap_reached              BOOLEAN       NOT NULL,
    file_name                VARCHAR,
    computed_at              TIMESTAMP     NOT NULL,
    PRIMARY KEY (statement_month, dossier_id),
    CHECK (EXTRACT(DAY FROM statement_month) = 1),
    CHECK (attributed_amount >= 0),
    CHECK (commission_paid_to_date <= commission_cap),
    CHECK (commission_paid_to_date <= commission_before_cap),
    CHECK (cap_reached = (commission_before_cap >= commission_cap))
);
COMMENT ON TABLE core.commission_statement IS 'Monthly commission statement per agency and dossier (the rows of CNSS_COMMISSION): cumulative attribution, commission before and after the cap, and this month''s change (negative after a reversal).';
COMMENT ON COLUMN core.commission_statement.statement_month IS 'Month of the statement (first day).';
COMMENT ON COLUMN core.commission_statement.attributed_amount IS 'Attributed to the dossier from assignment to the end of the month, cumulative (MAD).';
COMMENT ON COLUMN core.commission_statement.commission_rate IS 'The dossier''s commission rate.';
COMMENT ON COLUMN core.commission_statement.commission_cap IS 'The dossier''s commission cap (MAD).';
COMMENT ON COLUMN core.commission_statement.commission_before_cap IS 'rate x attributed_amount, rounded half-up to the centime.';
COMMENT ON COLUMN core.commission_statement.commission_paid_to_date IS 'min(commission_before_cap, commission_cap).';
COMMENT ON COLUMN core.commission_statement.commission_this_month IS 'commission_paid_to_date now minus on the previous statement (may be negative).';
COMMENT ON COLUMN core.commission_statement.cap_reached IS 'True when commission_before_cap reaches the cap (Y in the file).';
COMMENT ON COLUMN core.commission_statement.file_name IS 'CNSS_COMMISSION_... file that carried the row; NULL until published.';
COMMENT ON COLUMN core.commission_statement.dossier_id IS 'Dossier, e.g. D202611-000123 (core.dossier).';
COMMENT ON COLUMN core.commission_statement.agency_code IS 'Agency code, e.g. AG01 (core.dim_agency).';
COMMENT ON COLUMN core.commission_statement.computed_at IS 'When the row was computed (UTC).';

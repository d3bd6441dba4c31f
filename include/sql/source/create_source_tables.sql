-- The synthetic fund database (the operational source every pipeline stage extracts from).
-- Portable DDL: the same file runs on SQLite and PostgreSQL (statements separated by ';').
-- Money is always integer centimes in BIGINT columns named *_centimes; periods are TEXT 'YYYY-MM';
-- every table carries updated_at for the extractor's per-table watermarks; the fund's database does not
-- enforce it, so it may be NULL: such rows are taken by a table's first (full) extraction only.
-- Secondary indexes are created after the bulk load (create_source_indexes.sql).

CREATE TABLE employers (
    affiliation_no   VARCHAR(16)  NOT NULL PRIMARY KEY,  -- the fund's employer number (7 digits here)
    legal_name       TEXT         NOT NULL,
    legal_form       VARCHAR(32),
    ice              VARCHAR(32),                        -- 15 digits when well formed; may be NULL or malformed
    rc_number        VARCHAR(16),                        -- trade register number ...
    rc_court         VARCHAR(64),                        -- ... and its court's city (as typed)
    if_number        VARCHAR(16),                        -- tax id
    cin              VARCHAR(16),                        -- national id card of natural-person employers
    address          TEXT,
    city             VARCHAR(64),                        -- as typed, with spelling variants
    phone            VARCHAR(32),                        -- as typed, in any local format
    phone_2          VARCHAR(32),
    email            VARCHAR(128),
    legal_rep_name   TEXT,
    sector           VARCHAR(64),
    status           VARCHAR(16)  NOT NULL,              -- ACTIVE, CEASED, SUSPENDED, LIQUIDATION, INSOLVENT
    registered_on    DATE         NOT NULL,
    ceased_on        DATE,
    updated_at       TIMESTAMP
);

CREATE TABLE declarations (
    declaration_id   BIGINT       NOT NULL PRIMARY KEY,
    affiliation_no   VARCHAR(16)  NOT NULL,
    period           CHAR(7)      NOT NULL,              -- YYYY-MM
    headcount        INTEGER      NOT NULL,
    payroll_centimes BIGINT       NOT NULL,
    declared_on      DATE         NOT NULL,
    channel          VARCHAR(16)  NOT NULL,              -- DAMANCOM or COUNTER
    updated_at       TIMESTAMP
);

CREATE TABLE titles (
    title_id         VARCHAR(20)  NOT NULL PRIMARY KEY,  -- état de produits number
    affiliation_no   VARCHAR(16)  NOT NULL,
    issued_on        DATE         NOT NULL,
    notified_on      DATE,                               -- recoverable for 4 years from this date
    formal_demand_on DATE,                               -- commandement: adds the 2% fee
    amount_centimes  BIGINT       NOT NULL,              -- sum of the receivable lines it carries
    status           VARCHAR(16)  NOT NULL,              -- ISSUED, NOTIFIED, PARTIALLY_PAID
    updated_at       TIMESTAMP
);

CREATE TABLE receivables (
    receivable_id    BIGINT       NOT NULL PRIMARY KEY,
    affiliation_no   VARCHAR(16)  NOT NULL,
    period           CHAR(7)      NOT NULL,
    kind             VARCHAR(16)  NOT NULL,              -- PRINCIPAL, SURCHARGE, PENALTY
    basis            VARCHAR(24)  NOT NULL,              -- CONTRIBUTIONS, LATE_PAYMENT, FORMAL_DEMAND_FEE, DAMANCOM_FINE
    amount_centimes  BIGINT       NOT NULL,
    established_on   DATE         NOT NULL,
    title_id         VARCHAR(20),
    updated_at       TIMESTAMP
);

CREATE TABLE ledger_payments (
    payment_id          BIGINT      NOT NULL PRIMARY KEY,
    receipt_no          VARCHAR(24) NOT NULL,            -- the fund's receipt number
    affiliation_no      VARCHAR(16) NOT NULL,
    payment_date        DATE        NOT NULL,
    amount_centimes     BIGINT      NOT NULL,            -- negative for a reversal
    settles_period      CHAR(7)     NOT NULL,
    kind                VARCHAR(16) NOT NULL,            -- PAYMENT, REVERSAL
    reverses_payment_id BIGINT,
    channel             VARCHAR(16) NOT NULL,            -- BANK_TRANSFER, CHEQUE, FUND_COUNTER, ONLINE
    payment_ref         VARCHAR(35),                     -- the reference the payer quoted, as quoted (RF...)
    recorded_at         TIMESTAMP   NOT NULL,
    updated_at          TIMESTAMP
);

CREATE TABLE payment_plans (
    plan_id          VARCHAR(20)  NOT NULL PRIMARY KEY,
    affiliation_no   VARCHAR(16)  NOT NULL,
    signed_on        DATE         NOT NULL,
    installments     INTEGER      NOT NULL,
    total_centimes   BIGINT       NOT NULL,
    status           VARCHAR(16)  NOT NULL,              -- ACTIVE, HONOURED, BROKEN
    updated_at       TIMESTAMP
);

CREATE TABLE plan_installments (
    plan_id          VARCHAR(20)  NOT NULL,
    seq              INTEGER      NOT NULL,
    due_date         DATE         NOT NULL,
    amount_centimes  BIGINT       NOT NULL,
    paid_on          DATE,
    updated_at       TIMESTAMP,
    PRIMARY KEY (plan_id, seq)
);

CREATE TABLE legal_proceedings (
    proceeding_id    VARCHAR(20)  NOT NULL PRIMARY KEY,
    affiliation_no   VARCHAR(16)  NOT NULL,
    kind             VARCHAR(24)  NOT NULL,              -- FORCED_RECOVERY, RECEIVERSHIP, LIQUIDATION
    opened_on        DATE         NOT NULL,
    closed_on        DATE,
    updated_at       TIMESTAMP
);

CREATE TABLE disputes (
    dispute_id       VARCHAR(20)  NOT NULL PRIMARY KEY,
    affiliation_no   VARCHAR(16)  NOT NULL,
    period           CHAR(7)      NOT NULL,
    opened_on        DATE         NOT NULL,
    resolved_on      DATE,
    status           VARCHAR(16)  NOT NULL,              -- OPEN, UPHELD, CANCELLED
    updated_at       TIMESTAMP
);

CREATE TABLE seed_runs (
    run_id            VARCHAR(40) NOT NULL PRIMARY KEY,
    scale             VARCHAR(16) NOT NULL,
    n_employers       BIGINT      NOT NULL,
    seed              BIGINT      NOT NULL,
    generator_version VARCHAR(16) NOT NULL,
    counts_json       TEXT,
    truth_dir         TEXT,
    started_at        TIMESTAMP   NOT NULL,
    finished_at       TIMESTAMP,
    updated_at        TIMESTAMP
);

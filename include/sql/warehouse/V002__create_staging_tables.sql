-- Stage 1: staging mirrors the fund's operational source (include/sql/source/create_source_tables.sql):
-- same table and column names, the source's values unvalidated, one row per source primary key
-- holding its latest version. Lake snapshots are incremental (rows changed in a watermark window),
-- so each published snapshot is merged in (upsert on the primary key), in snapshot order; the
-- columns snapshot_date and updated_at say which snapshot and source change a row comes from.
-- As in the source, money is integer centimes (BIGINT *_centimes, exact) and periods are text
-- 'YYYY-MM'; core converts them to DECIMAL(18,2) MAD and DATE (first day of the month).

CREATE TABLE IF NOT EXISTS staging.employers (
    affiliation_no   VARCHAR   NOT NULL PRIMARY KEY,
    legal_name       VARCHAR   NOT NULL,
    legal_form       VARCHAR,
    ice              VARCHAR,
    rc_number        VARCHAR,
    rc_court         VARCHAR,
    if_number        VARCHAR,
    cin              VARCHAR,
    address          VARCHAR,
    city             VARCHAR,
    phone            VARCHAR,
    phone_2          VARCHAR,
    email            VARCHAR,
    legal_rep_name   VARCHAR,
    sector           VARCHAR,
    status           VARCHAR   NOT NULL,
    registered_on    DATE      NOT NULL,
    ceased_on        DATE,
    updated_at       TIMESTAMP NOT NULL,
    snapshot_date    DATE      NOT NULL
);
COMMENT ON TABLE staging.employers IS 'Employers (affiliates) of the fund as in the source, one row per affiliation number; several affiliation numbers may belong to one legal entity (resolved into core.dim_debtor).';
COMMENT ON COLUMN staging.employers.affiliation_no IS 'The fund''s employer affiliation number (digits, kept as text).';
COMMENT ON COLUMN staging.employers.legal_name IS 'Name as typed at the fund, unnormalised.';
COMMENT ON COLUMN staging.employers.legal_form IS 'SARL, SARL AU, SA, SNC, EI, ... as typed (variants such as S.A.R.L.).';
COMMENT ON COLUMN staging.employers.ice IS 'Identifiant Commun de l''Entreprise as typed: 15 digits when well formed, may be missing or malformed.';
COMMENT ON COLUMN staging.employers.rc_number IS 'Trade register number; meaningful only with rc_court.';
COMMENT ON COLUMN staging.employers.rc_court IS 'City of the commercial court of the trade register entry, as typed.';
COMMENT ON COLUMN staging.employers.if_number IS 'Tax id (identifiant fiscal).';
COMMENT ON COLUMN staging.employers.cin IS 'National identity card number of a natural-person employer.';
COMMENT ON COLUMN staging.employers.city IS 'City as typed, with spelling variants.';
COMMENT ON COLUMN staging.employers.phone IS 'Phone as typed, in any local form.';
COMMENT ON COLUMN staging.employers.phone_2 IS 'Second phone as typed.';
COMMENT ON COLUMN staging.employers.sector IS 'Sector of activity.';
COMMENT ON COLUMN staging.employers.status IS 'ACTIVE, CEASED, SUSPENDED, LIQUIDATION or INSOLVENT.';
COMMENT ON COLUMN staging.employers.registered_on IS 'Date of affiliation to the fund.';
COMMENT ON COLUMN staging.employers.ceased_on IS 'Date activity ceased, when known.';
COMMENT ON COLUMN staging.employers.updated_at IS 'Last change in the source (the extract''s watermark column).';
COMMENT ON COLUMN staging.employers.snapshot_date IS 'Lake snapshot that delivered this version of the row (see meta.staging_load).';
COMMENT ON COLUMN staging.employers.address IS 'Address (street part).';
COMMENT ON COLUMN staging.employers.email IS 'Email address.';
COMMENT ON COLUMN staging.employers.legal_rep_name IS 'Manager or legal representative.';

CREATE TABLE IF NOT EXISTS staging.declarations (
    declaration_id    BIGINT    NOT NULL PRIMARY KEY,
    affiliation_no    VARCHAR   NOT NULL,
    period            VARCHAR   NOT NULL,
    headcount         INTEGER   NOT NULL,
    payroll_centimes  BIGINT    NOT NULL,
    declared_on       DATE      NOT NULL,
    channel           VARCHAR   NOT NULL,
    updated_at        TIMESTAMP NOT NULL,
    snapshot_date     DATE      NOT NULL
);
COMMENT ON TABLE staging.declarations IS 'Monthly payroll declarations of employers: headcount and payroll behind the contributions owed (used to score debtors and to see activity).';
COMMENT ON COLUMN staging.declarations.period IS 'Declared month, YYYY-MM.';
COMMENT ON COLUMN staging.declarations.headcount IS 'Employees declared.';
COMMENT ON COLUMN staging.declarations.payroll_centimes IS 'Payroll declared, in centimes of MAD.';
COMMENT ON COLUMN staging.declarations.channel IS 'DAMANCOM or COUNTER.';
COMMENT ON COLUMN staging.declarations.updated_at IS 'Last change in the source.';
COMMENT ON COLUMN staging.declarations.snapshot_date IS 'Lake snapshot that delivered this version of the row.';
COMMENT ON COLUMN staging.declarations.declaration_id IS 'The source''s id of the declaration.';
COMMENT ON COLUMN staging.declarations.affiliation_no IS 'The fund''s employer affiliation number.';
COMMENT ON COLUMN staging.declarations.declared_on IS 'Date the declaration was filed.';

CREATE TABLE IF NOT EXISTS staging.titles (
    title_id          VARCHAR   NOT NULL PRIMARY KEY,
    affiliation_no    VARCHAR   NOT NULL,
    issued_on         DATE      NOT NULL,
    notified_on       DATE,
    formal_demand_on  DATE,
    amount_centimes   BIGINT    NOT NULL,
    status            VARCHAR   NOT NULL,
    updated_at        TIMESTAMP NOT NULL,
    snapshot_date     DATE      NOT NULL
);
COMMENT ON TABLE staging.titles IS 'Titles (etats de produits) issued for unpaid contributions; recoverable for 4 years from notification, which drives the UNPAID_TITLE segment and the near-limit rule.';
COMMENT ON COLUMN staging.titles.title_id IS 'Title number.';
COMMENT ON COLUMN staging.titles.notified_on IS 'Notification date; the 4-year limit runs from it. NULL when not yet notified.';
COMMENT ON COLUMN staging.titles.formal_demand_on IS 'Date of the formal demand (commandement), which adds the 2% fee.';
COMMENT ON COLUMN staging.titles.amount_centimes IS 'Sum of the receivable lines the title carries, in centimes.';
COMMENT ON COLUMN staging.titles.status IS 'ISSUED, NOTIFIED or PARTIALLY_PAID.';
COMMENT ON COLUMN staging.titles.updated_at IS 'Last change in the source.';
COMMENT ON COLUMN staging.titles.snapshot_date IS 'Lake snapshot that delivered this version of the row.';
COMMENT ON COLUMN staging.titles.affiliation_no IS 'The fund''s employer affiliation number.';
COMMENT ON COLUMN staging.titles.issued_on IS 'Date the title was issued.';

CREATE TABLE IF NOT EXISTS staging.receivables (
    receivable_id    BIGINT    NOT NULL PRIMARY KEY,
    affiliation_no   VARCHAR   NOT NULL,
    period           VARCHAR   NOT NULL,
    kind             VARCHAR   NOT NULL,
    basis            VARCHAR   NOT NULL,
    amount_centimes  BIGINT    NOT NULL,
    established_on   DATE      NOT NULL,
    title_id         VARCHAR,
    updated_at       TIMESTAMP NOT NULL,
    snapshot_date    DATE      NOT NULL
);
COMMENT ON TABLE staging.receivables IS 'Amounts owed per employer, contribution month and kind (receivable lines); principal, surcharges and penalties stay separate throughout.';
COMMENT ON COLUMN staging.receivables.period IS 'Contribution month, YYYY-MM.';
COMMENT ON COLUMN staging.receivables.kind IS 'PRINCIPAL, SURCHARGE or PENALTY.';
COMMENT ON COLUMN staging.receivables.basis IS 'CONTRIBUTIONS, LATE_PAYMENT, FORMAL_DEMAND_FEE or DAMANCOM_FINE.';
COMMENT ON COLUMN staging.receivables.amount_centimes IS 'Amount of the line, in centimes.';
COMMENT ON COLUMN staging.receivables.established_on IS 'Date the receivable was established (drives the FRESH segment).';
COMMENT ON COLUMN staging.receivables.title_id IS 'Title carrying the line, NULL when none was issued.';
COMMENT ON COLUMN staging.receivables.updated_at IS 'Last change in the source.';
COMMENT ON COLUMN staging.receivables.snapshot_date IS 'Lake snapshot that delivered this version of the row.';
COMMENT ON COLUMN staging.receivables.receivable_id IS 'The source''s id of the receivable line.';
COMMENT ON COLUMN staging.receivables.affiliation_no IS 'The fund''s employer affiliation number.';

CREATE TABLE IF NOT EXISTS staging.ledger_payments (
    payment_id           BIGINT    NOT NULL PRIMARY KEY,
    receipt_no           VARCHAR   NOT NULL,
    affiliation_no       VARCHAR   NOT NULL,
    payment_date         DATE      NOT NULL,
    amount_centimes      BIGINT    NOT NULL,
    settles_period       VARCHAR   NOT NULL,
    kind                 VARCHAR   NOT NULL,
    reverses_payment_id  BIGINT,
    channel              VARCHAR   NOT NULL,
    recorded_at          TIMESTAMP NOT NULL,
    updated_at           TIMESTAMP NOT NULL,
    snapshot_date        DATE      NOT NULL
);
COMMENT ON TABLE staging.ledger_payments IS 'The fund''s own payment ledger as in the source, reversals included; reconciled into core.ledger_payment.';
COMMENT ON COLUMN staging.ledger_payments.payment_id IS 'The ledger''s id of the entry (ledger_payment_id in agency files and in core).';
COMMENT ON COLUMN staging.ledger_payments.receipt_no IS 'The fund''s receipt number.';
COMMENT ON COLUMN staging.ledger_payments.amount_centimes IS 'Amount in centimes; negative for a REVERSAL.';
COMMENT ON COLUMN staging.ledger_payments.settles_period IS 'Contribution month settled, YYYY-MM.';
COMMENT ON COLUMN staging.ledger_payments.kind IS 'PAYMENT or REVERSAL.';
COMMENT ON COLUMN staging.ledger_payments.reverses_payment_id IS 'For a REVERSAL, the payment_id it reverses.';
COMMENT ON COLUMN staging.ledger_payments.channel IS 'BANK_TRANSFER, CHEQUE, FUND_COUNTER or ONLINE.';
COMMENT ON COLUMN staging.ledger_payments.recorded_at IS 'When the ledger recorded the entry.';
COMMENT ON COLUMN staging.ledger_payments.updated_at IS 'Last change in the source.';
COMMENT ON COLUMN staging.ledger_payments.snapshot_date IS 'Lake snapshot that delivered this version of the row.';
COMMENT ON COLUMN staging.ledger_payments.affiliation_no IS 'The fund''s employer affiliation number.';
COMMENT ON COLUMN staging.ledger_payments.payment_date IS 'Date of the payment.';

CREATE TABLE IF NOT EXISTS staging.payment_plans (
    plan_id          VARCHAR   NOT NULL PRIMARY KEY,
    affiliation_no   VARCHAR   NOT NULL,
    signed_on        DATE      NOT NULL,
    installments     INTEGER   NOT NULL,
    total_centimes   BIGINT    NOT NULL,
    status           VARCHAR   NOT NULL,
    updated_at       TIMESTAMP NOT NULL,
    snapshot_date    DATE      NOT NULL
);
COMMENT ON TABLE staging.payment_plans IS 'Instalment plans agreed directly with the fund (not through an agency); an honoured plan excludes the debtor from selection.';
COMMENT ON COLUMN staging.payment_plans.plan_id IS 'The fund''s plan number.';
COMMENT ON COLUMN staging.payment_plans.total_centimes IS 'Total the plan covers, in centimes.';
COMMENT ON COLUMN staging.payment_plans.status IS 'ACTIVE, HONOURED or BROKEN.';
COMMENT ON COLUMN staging.payment_plans.updated_at IS 'Last change in the source.';
COMMENT ON COLUMN staging.payment_plans.snapshot_date IS 'Lake snapshot that delivered this version of the row.';
COMMENT ON COLUMN staging.payment_plans.affiliation_no IS 'The fund''s employer affiliation number.';
COMMENT ON COLUMN staging.payment_plans.signed_on IS 'Date the plan was signed.';
COMMENT ON COLUMN staging.payment_plans.installments IS 'Number of instalments.';

CREATE TABLE IF NOT EXISTS staging.plan_installments (
    plan_id          VARCHAR   NOT NULL,
    seq              INTEGER   NOT NULL,
    due_date         DATE      NOT NULL,
    amount_centimes  BIGINT    NOT NULL,
    paid_on          DATE,
    updated_at       TIMESTAMP NOT NULL,
    snapshot_date    DATE      NOT NULL,
    PRIMARY KEY (plan_id, seq)
);
COMMENT ON TABLE staging.plan_installments IS 'Instalments of the fund''s own plans, with the date each was paid.';
COMMENT ON COLUMN staging.plan_installments.seq IS 'Instalment number, 1 first.';
COMMENT ON COLUMN staging.plan_installments.amount_centimes IS 'Instalment amount, in centimes.';
COMMENT ON COLUMN staging.plan_installments.paid_on IS 'Date paid; NULL while unpaid.';
COMMENT ON COLUMN staging.plan_installments.updated_at IS 'Last change in the source.';
COMMENT ON COLUMN staging.plan_installments.snapshot_date IS 'Lake snapshot that delivered this version of the row.';
COMMENT ON COLUMN staging.plan_installments.plan_id IS 'The fund''s plan number.';
COMMENT ON COLUMN staging.plan_installments.due_date IS 'Date the instalment is due.';

CREATE TABLE IF NOT EXISTS staging.legal_proceedings (
    proceeding_id    VARCHAR   NOT NULL PRIMARY KEY,
    affiliation_no   VARCHAR   NOT NULL,
    kind             VARCHAR   NOT NULL,
    opened_on        DATE      NOT NULL,
    closed_on        DATE,
    updated_at       TIMESTAMP NOT NULL,
    snapshot_date    DATE      NOT NULL
);
COMMENT ON TABLE staging.legal_proceedings IS 'Forced-recovery and insolvency proceedings; an open one excludes the debtor from amicable recovery.';
COMMENT ON COLUMN staging.legal_proceedings.kind IS 'FORCED_RECOVERY, RECEIVERSHIP or LIQUIDATION.';
COMMENT ON COLUMN staging.legal_proceedings.closed_on IS 'Closing date; NULL while open.';
COMMENT ON COLUMN staging.legal_proceedings.updated_at IS 'Last change in the source.';
COMMENT ON COLUMN staging.legal_proceedings.snapshot_date IS 'Lake snapshot that delivered this version of the row.';
COMMENT ON COLUMN staging.legal_proceedings.proceeding_id IS 'The source''s id of the proceeding.';
COMMENT ON COLUMN staging.legal_proceedings.affiliation_no IS 'The fund''s employer affiliation number.';
COMMENT ON COLUMN staging.legal_proceedings.opened_on IS 'Date opened.';

CREATE TABLE IF NOT EXISTS staging.disputes (
    dispute_id       VARCHAR   NOT NULL PRIMARY KEY,
    affiliation_no   VARCHAR   NOT NULL,
    period           VARCHAR   NOT NULL,
    opened_on        DATE      NOT NULL,
    resolved_on      DATE,
    status           VARCHAR   NOT NULL,
    updated_at       TIMESTAMP NOT NULL,
    snapshot_date    DATE      NOT NULL
);
COMMENT ON TABLE staging.disputes IS 'Disputes of contributions owed; an open dispute excludes the debtor (or the disputed month) from selection.';
COMMENT ON COLUMN staging.disputes.period IS 'Disputed contribution month, YYYY-MM.';
COMMENT ON COLUMN staging.disputes.resolved_on IS 'Resolution date; NULL while open.';
COMMENT ON COLUMN staging.disputes.status IS 'OPEN, UPHELD or CANCELLED.';
COMMENT ON COLUMN staging.disputes.updated_at IS 'Last change in the source.';
COMMENT ON COLUMN staging.disputes.snapshot_date IS 'Lake snapshot that delivered this version of the row.';
COMMENT ON COLUMN staging.disputes.dispute_id IS 'The source''s id of the dispute.';
COMMENT ON COLUMN staging.disputes.affiliation_no IS 'The fund''s employer affiliation number.';
COMMENT ON COLUMN staging.disputes.opened_on IS 'Date opened.';

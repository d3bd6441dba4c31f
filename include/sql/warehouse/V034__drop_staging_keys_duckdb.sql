-- Issue 16, staging without key constraints (docs/benchmarks.md "Staging merge and quality gate set-based"):
-- the staging tables (V002, V013, V031) lose their PRIMARY KEYs. DuckDB keeps a key as an index (ART)
-- that every insert and delete of the merge maintains: most of the merge's time at M (steady month 2.76 s
-- wall with the keys, 0.51 s without; first month 3.82 s and 2.47 s), and memory that grows with staging.
--
-- The invariant does not change: staging holds one row per source primary key (recouvra.lake.TABLES),
-- its latest version. It is now guaranteed by the merge, not by a constraint: recouvra.staging merges
-- each published snapshot in one transaction, first deleting every staging row whose key the snapshot
-- holds, then inserting the snapshot's rows; and a snapshot holds each key once, because the quality
-- gate (recouvra.quality, its snapshot suite's duplicate_keys = 0) refuses to publish one that does not.
-- Nothing else writes staging, and nothing reads these keys as constraints (no ON CONFLICT on staging).
--
-- DuckDB cannot drop a constraint (ALTER TABLE ... DROP CONSTRAINT: "No support for that ALTER TABLE
-- option yet"), so here each table is re-created without its key, with the same columns, types,
-- NOT NULLs and order, its rows copied, the old one dropped, the new one renamed and its comments
-- applied again (V031's pattern). PostgreSQL drops the constraints in place (V035, for PostgreSQL only).

CREATE TABLE staging.employers_v034 (
    affiliation_no  VARCHAR    NOT NULL,
    legal_name      VARCHAR    NOT NULL,
    legal_form      VARCHAR,
    ice             VARCHAR,
    rc_number       VARCHAR,
    rc_court        VARCHAR,
    if_number       VARCHAR,
    cin             VARCHAR,
    address         VARCHAR,
    city            VARCHAR,
    phone           VARCHAR,
    phone_2         VARCHAR,
    email           VARCHAR,
    legal_rep_name  VARCHAR,
    sector          VARCHAR,
    status          VARCHAR    NOT NULL,
    registered_on   DATE       NOT NULL,
    ceased_on       DATE,
    updated_at      TIMESTAMP,
    snapshot_date   DATE       NOT NULL
);
INSERT INTO staging.employers_v034 (affiliation_no, legal_name, legal_form, ice, rc_number, rc_court,
       if_number, cin, address, city, phone, phone_2, email, legal_rep_name, sector, status, registered_on,
       ceased_on, updated_at, snapshot_date)
SELECT affiliation_no, legal_name, legal_form, ice, rc_number, rc_court, if_number, cin, address, city, phone,
       phone_2, email, legal_rep_name, sector, status, registered_on, ceased_on, updated_at, snapshot_date
FROM staging.employers;
DROP TABLE staging.employers;
ALTER TABLE staging.employers_v034 RENAME TO employers;
COMMENT ON TABLE staging.employers IS 'Employers (affiliates) of the fund as in the source, one row per affiliation number; several affiliation numbers may belong to one legal entity (resolved into core.dim_debtor).';
COMMENT ON COLUMN staging.employers.affiliation_no IS 'The fund''s employer affiliation number (digits, kept as text).';
COMMENT ON COLUMN staging.employers.legal_name IS 'Name as typed at the fund, unnormalised.';
COMMENT ON COLUMN staging.employers.legal_form IS 'SARL, SARL AU, SA, SNC, EI, ... as typed (variants such as S.A.R.L.).';
COMMENT ON COLUMN staging.employers.ice IS 'Identifiant Commun de l''Entreprise as typed: 15 digits when well formed, may be missing or malformed.';
COMMENT ON COLUMN staging.employers.rc_number IS 'Trade register number; meaningful only with rc_court.';
COMMENT ON COLUMN staging.employers.rc_court IS 'City of the commercial court of the trade register entry, as typed.';
COMMENT ON COLUMN staging.employers.if_number IS 'Tax id (identifiant fiscal).';
COMMENT ON COLUMN staging.employers.cin IS 'National identity card number of a natural-person employer.';
COMMENT ON COLUMN staging.employers.address IS 'Address (street part).';
COMMENT ON COLUMN staging.employers.city IS 'City as typed, with spelling variants.';
COMMENT ON COLUMN staging.employers.phone IS 'Phone as typed, in any local form.';
COMMENT ON COLUMN staging.employers.phone_2 IS 'Second phone as typed.';
COMMENT ON COLUMN staging.employers.email IS 'Email address.';
COMMENT ON COLUMN staging.employers.legal_rep_name IS 'Manager or legal representative.';
COMMENT ON COLUMN staging.employers.sector IS 'Sector of activity.';
COMMENT ON COLUMN staging.employers.status IS 'ACTIVE, CEASED, SUSPENDED, LIQUIDATION or INSOLVENT.';
COMMENT ON COLUMN staging.employers.registered_on IS 'Date of affiliation to the fund.';
COMMENT ON COLUMN staging.employers.ceased_on IS 'Date activity ceased, when known.';
COMMENT ON COLUMN staging.employers.updated_at IS 'Last change in the source (the extract''s watermark column).';
COMMENT ON COLUMN staging.employers.snapshot_date IS 'Lake snapshot that delivered this version of the row (see meta.staging_load).';

CREATE TABLE staging.declarations_v034 (
    declaration_id    BIGINT     NOT NULL,
    affiliation_no    VARCHAR    NOT NULL,
    period            VARCHAR    NOT NULL,
    headcount         INTEGER    NOT NULL,
    payroll_centimes  BIGINT     NOT NULL,
    declared_on       DATE       NOT NULL,
    channel           VARCHAR    NOT NULL,
    updated_at        TIMESTAMP,
    snapshot_date     DATE       NOT NULL
);
INSERT INTO staging.declarations_v034 (declaration_id, affiliation_no, period, headcount, payroll_centimes,
       declared_on, channel, updated_at, snapshot_date)
SELECT declaration_id, affiliation_no, period, headcount, payroll_centimes, declared_on, channel, updated_at,
       snapshot_date
FROM staging.declarations;
DROP TABLE staging.declarations;
ALTER TABLE staging.declarations_v034 RENAME TO declarations;
COMMENT ON TABLE staging.declarations IS 'Monthly payroll declarations of employers: headcount and payroll behind the contributions owed (used to score debtors and to see activity).';
COMMENT ON COLUMN staging.declarations.declaration_id IS 'The source''s id of the declaration.';
COMMENT ON COLUMN staging.declarations.affiliation_no IS 'The fund''s employer affiliation number.';
COMMENT ON COLUMN staging.declarations.period IS 'Declared month, YYYY-MM.';
COMMENT ON COLUMN staging.declarations.headcount IS 'Employees declared.';
COMMENT ON COLUMN staging.declarations.payroll_centimes IS 'Payroll declared, in centimes of MAD.';
COMMENT ON COLUMN staging.declarations.declared_on IS 'Date the declaration was filed.';
COMMENT ON COLUMN staging.declarations.channel IS 'DAMANCOM or COUNTER.';
COMMENT ON COLUMN staging.declarations.updated_at IS 'Last change in the source.';
COMMENT ON COLUMN staging.declarations.snapshot_date IS 'Lake snapshot that delivered this version of the row.';

CREATE TABLE staging.titles_v034 (
    title_id          VARCHAR    NOT NULL,
    affiliation_no    VARCHAR    NOT NULL,
    issued_on         DATE       NOT NULL,
    notified_on       DATE,
    formal_demand_on  DATE,
    amount_centimes   BIGINT     NOT NULL,
    status            VARCHAR    NOT NULL,
    updated_at        TIMESTAMP,
    snapshot_date     DATE       NOT NULL
);
INSERT INTO staging.titles_v034 (title_id, affiliation_no, issued_on, notified_on, formal_demand_on,
       amount_centimes, status, updated_at, snapshot_date)
SELECT title_id, affiliation_no, issued_on, notified_on, formal_demand_on, amount_centimes, status,
       updated_at, snapshot_date
FROM staging.titles;
DROP TABLE staging.titles;
ALTER TABLE staging.titles_v034 RENAME TO titles;
COMMENT ON TABLE staging.titles IS 'Titles (etats de produits) issued for unpaid contributions; recoverable for 4 years from notification, which drives the UNPAID_TITLE segment and the near-limit rule.';
COMMENT ON COLUMN staging.titles.title_id IS 'Title number.';
COMMENT ON COLUMN staging.titles.affiliation_no IS 'The fund''s employer affiliation number.';
COMMENT ON COLUMN staging.titles.issued_on IS 'Date the title was issued.';
COMMENT ON COLUMN staging.titles.notified_on IS 'Notification date; the 4-year limit runs from it. NULL when not yet notified.';
COMMENT ON COLUMN staging.titles.formal_demand_on IS 'Date of the formal demand (commandement), which adds the 2% fee.';
COMMENT ON COLUMN staging.titles.amount_centimes IS 'Sum of the receivable lines the title carries, in centimes.';
COMMENT ON COLUMN staging.titles.status IS 'ISSUED, NOTIFIED or PARTIALLY_PAID.';
COMMENT ON COLUMN staging.titles.updated_at IS 'Last change in the source.';
COMMENT ON COLUMN staging.titles.snapshot_date IS 'Lake snapshot that delivered this version of the row.';

CREATE TABLE staging.receivables_v034 (
    receivable_id    BIGINT     NOT NULL,
    affiliation_no   VARCHAR    NOT NULL,
    period           VARCHAR    NOT NULL,
    kind             VARCHAR    NOT NULL,
    basis            VARCHAR    NOT NULL,
    amount_centimes  BIGINT     NOT NULL,
    established_on   DATE       NOT NULL,
    title_id         VARCHAR,
    updated_at       TIMESTAMP,
    snapshot_date    DATE       NOT NULL
);
INSERT INTO staging.receivables_v034 (receivable_id, affiliation_no, period, kind, basis, amount_centimes,
       established_on, title_id, updated_at, snapshot_date)
SELECT receivable_id, affiliation_no, period, kind, basis, amount_centimes, established_on, title_id,
       updated_at, snapshot_date
FROM staging.receivables;
DROP TABLE staging.receivables;
ALTER TABLE staging.receivables_v034 RENAME TO receivables;
COMMENT ON TABLE staging.receivables IS 'Amounts owed per employer, contribution month and kind (receivable lines); principal, surcharges and penalties stay separate throughout.';
COMMENT ON COLUMN staging.receivables.receivable_id IS 'The source''s id of the receivable line.';
COMMENT ON COLUMN staging.receivables.affiliation_no IS 'The fund''s employer affiliation number.';
COMMENT ON COLUMN staging.receivables.period IS 'Contribution month, YYYY-MM.';
COMMENT ON COLUMN staging.receivables.kind IS 'PRINCIPAL, SURCHARGE or PENALTY.';
COMMENT ON COLUMN staging.receivables.basis IS 'CONTRIBUTIONS, LATE_PAYMENT, FORMAL_DEMAND_FEE or DAMANCOM_FINE.';
COMMENT ON COLUMN staging.receivables.amount_centimes IS 'Amount of the line, in centimes.';
COMMENT ON COLUMN staging.receivables.established_on IS 'Date the receivable was established (drives the FRESH segment).';
COMMENT ON COLUMN staging.receivables.title_id IS 'Title carrying the line, NULL when none was issued.';
COMMENT ON COLUMN staging.receivables.updated_at IS 'Last change in the source.';
COMMENT ON COLUMN staging.receivables.snapshot_date IS 'Lake snapshot that delivered this version of the row.';

CREATE TABLE staging.ledger_payments_v034 (
    payment_id           BIGINT     NOT NULL,
    receipt_no           VARCHAR    NOT NULL,
    affiliation_no       VARCHAR    NOT NULL,
    payment_date         DATE       NOT NULL,
    amount_centimes      BIGINT     NOT NULL,
    settles_period       VARCHAR    NOT NULL,
    kind                 VARCHAR    NOT NULL,
    reverses_payment_id  BIGINT,
    channel              VARCHAR    NOT NULL,
    payment_ref          VARCHAR,
    recorded_at          TIMESTAMP  NOT NULL,
    updated_at           TIMESTAMP,
    snapshot_date        DATE       NOT NULL
);
INSERT INTO staging.ledger_payments_v034 (payment_id, receipt_no, affiliation_no, payment_date,
       amount_centimes, settles_period, kind, reverses_payment_id, channel, payment_ref, recorded_at,
       updated_at, snapshot_date)
SELECT payment_id, receipt_no, affiliation_no, payment_date, amount_centimes, settles_period, kind,
       reverses_payment_id, channel, payment_ref, recorded_at, updated_at, snapshot_date
FROM staging.ledger_payments;
DROP TABLE staging.ledger_payments;
ALTER TABLE staging.ledger_payments_v034 RENAME TO ledger_payments;
COMMENT ON TABLE staging.ledger_payments IS 'The fund''s own payment ledger as in the source, reversals included; reconciled into core.ledger_payment.';
COMMENT ON COLUMN staging.ledger_payments.payment_id IS 'The ledger''s id of the entry (ledger_payment_id in agency files and in core).';
COMMENT ON COLUMN staging.ledger_payments.receipt_no IS 'The fund''s receipt number.';
COMMENT ON COLUMN staging.ledger_payments.affiliation_no IS 'The fund''s employer affiliation number.';
COMMENT ON COLUMN staging.ledger_payments.payment_date IS 'Date of the payment.';
COMMENT ON COLUMN staging.ledger_payments.amount_centimes IS 'Amount in centimes; negative for a REVERSAL.';
COMMENT ON COLUMN staging.ledger_payments.settles_period IS 'Contribution month settled, YYYY-MM.';
COMMENT ON COLUMN staging.ledger_payments.kind IS 'PAYMENT or REVERSAL.';
COMMENT ON COLUMN staging.ledger_payments.reverses_payment_id IS 'For a REVERSAL, the payment_id it reverses.';
COMMENT ON COLUMN staging.ledger_payments.channel IS 'BANK_TRANSFER, CHEQUE, FUND_COUNTER or ONLINE.';
COMMENT ON COLUMN staging.ledger_payments.payment_ref IS 'Payment reference the payer quoted (an RF reference naming a dossier), as quoted; NULL when none.';
COMMENT ON COLUMN staging.ledger_payments.recorded_at IS 'When the ledger recorded the entry.';
COMMENT ON COLUMN staging.ledger_payments.updated_at IS 'Last change in the source.';
COMMENT ON COLUMN staging.ledger_payments.snapshot_date IS 'Lake snapshot that delivered this version of the row.';

CREATE TABLE staging.payment_plans_v034 (
    plan_id         VARCHAR    NOT NULL,
    affiliation_no  VARCHAR    NOT NULL,
    signed_on       DATE       NOT NULL,
    installments    INTEGER    NOT NULL,
    total_centimes  BIGINT     NOT NULL,
    status          VARCHAR    NOT NULL,
    updated_at      TIMESTAMP,
    snapshot_date   DATE       NOT NULL
);
INSERT INTO staging.payment_plans_v034 (plan_id, affiliation_no, signed_on, installments, total_centimes,
       status, updated_at, snapshot_date)
SELECT plan_id, affiliation_no, signed_on, installments, total_centimes, status, updated_at, snapshot_date
FROM staging.payment_plans;
DROP TABLE staging.payment_plans;
ALTER TABLE staging.payment_plans_v034 RENAME TO payment_plans;
COMMENT ON TABLE staging.payment_plans IS 'Instalment plans agreed directly with the fund (not through an agency); an honoured plan excludes the debtor from selection.';
COMMENT ON COLUMN staging.payment_plans.plan_id IS 'The fund''s plan number.';
COMMENT ON COLUMN staging.payment_plans.affiliation_no IS 'The fund''s employer affiliation number.';
COMMENT ON COLUMN staging.payment_plans.signed_on IS 'Date the plan was signed.';
COMMENT ON COLUMN staging.payment_plans.installments IS 'Number of instalments.';
COMMENT ON COLUMN staging.payment_plans.total_centimes IS 'Total the plan covers, in centimes.';
COMMENT ON COLUMN staging.payment_plans.status IS 'ACTIVE, HONOURED or BROKEN.';
COMMENT ON COLUMN staging.payment_plans.updated_at IS 'Last change in the source.';
COMMENT ON COLUMN staging.payment_plans.snapshot_date IS 'Lake snapshot that delivered this version of the row.';

CREATE TABLE staging.plan_installments_v034 (
    plan_id          VARCHAR    NOT NULL,
    seq              INTEGER    NOT NULL,
    due_date         DATE       NOT NULL,
    amount_centimes  BIGINT     NOT NULL,
    paid_on          DATE,
    updated_at       TIMESTAMP,
    snapshot_date    DATE       NOT NULL
);
INSERT INTO staging.plan_installments_v034 (plan_id, seq, due_date, amount_centimes, paid_on, updated_at,
       snapshot_date)
SELECT plan_id, seq, due_date, amount_centimes, paid_on, updated_at, snapshot_date
FROM staging.plan_installments;
DROP TABLE staging.plan_installments;
ALTER TABLE staging.plan_installments_v034 RENAME TO plan_installments;
COMMENT ON TABLE staging.plan_installments IS 'Instalments of the fund''s own plans, with the date each was paid.';
COMMENT ON COLUMN staging.plan_installments.plan_id IS 'The fund''s plan number.';
COMMENT ON COLUMN staging.plan_installments.seq IS 'Instalment number, 1 first.';
COMMENT ON COLUMN staging.plan_installments.due_date IS 'Date the instalment is due.';
COMMENT ON COLUMN staging.plan_installments.amount_centimes IS 'Instalment amount, in centimes.';
COMMENT ON COLUMN staging.plan_installments.paid_on IS 'Date paid; NULL while unpaid.';
COMMENT ON COLUMN staging.plan_installments.updated_at IS 'Last change in the source.';
COMMENT ON COLUMN staging.plan_installments.snapshot_date IS 'Lake snapshot that delivered this version of the row.';

CREATE TABLE staging.legal_proceedings_v034 (
    proceeding_id   VARCHAR    NOT NULL,
    affiliation_no  VARCHAR    NOT NULL,
    kind            VARCHAR    NOT NULL,
    opened_on       DATE       NOT NULL,
    closed_on       DATE,
    updated_at      TIMESTAMP,
    snapshot_date   DATE       NOT NULL
);
INSERT INTO staging.legal_proceedings_v034 (proceeding_id, affiliation_no, kind, opened_on, closed_on,
       updated_at, snapshot_date)
SELECT proceeding_id, affiliation_no, kind, opened_on, closed_on, updated_at, snapshot_date
FROM staging.legal_proceedings;
DROP TABLE staging.legal_proceedings;
ALTER TABLE staging.legal_proceedings_v034 RENAME TO legal_proceedings;
COMMENT ON TABLE staging.legal_proceedings IS 'Forced-recovery and insolvency proceedings; an open one excludes the debtor from amicable recovery.';
COMMENT ON COLUMN staging.legal_proceedings.proceeding_id IS 'The source''s id of the proceeding.';
COMMENT ON COLUMN staging.legal_proceedings.affiliation_no IS 'The fund''s employer affiliation number.';
COMMENT ON COLUMN staging.legal_proceedings.kind IS 'FORCED_RECOVERY, RECEIVERSHIP or LIQUIDATION.';
COMMENT ON COLUMN staging.legal_proceedings.opened_on IS 'Date opened.';
COMMENT ON COLUMN staging.legal_proceedings.closed_on IS 'Closing date; NULL while open.';
COMMENT ON COLUMN staging.legal_proceedings.updated_at IS 'Last change in the source.';
COMMENT ON COLUMN staging.legal_proceedings.snapshot_date IS 'Lake snapshot that delivered this version of the row.';

CREATE TABLE staging.disputes_v034 (
    dispute_id      VARCHAR    NOT NULL,
    affiliation_no  VARCHAR    NOT NULL,
    period          VARCHAR    NOT NULL,
    opened_on       DATE       NOT NULL,
    resolved_on     DATE,
    status          VARCHAR    NOT NULL,
    updated_at      TIMESTAMP,
    snapshot_date   DATE       NOT NULL
);
INSERT INTO staging.disputes_v034 (dispute_id, affiliation_no, period, opened_on, resolved_on, status,
       updated_at, snapshot_date)
SELECT dispute_id, affiliation_no, period, opened_on, resolved_on, status, updated_at, snapshot_date
FROM staging.disputes;
DROP TABLE staging.disputes;
ALTER TABLE staging.disputes_v034 RENAME TO disputes;
COMMENT ON TABLE staging.disputes IS 'Disputes of contributions owed; an open dispute excludes the debtor (or the disputed month) from selection.';
COMMENT ON COLUMN staging.disputes.dispute_id IS 'The source''s id of the dispute.';
COMMENT ON COLUMN staging.disputes.affiliation_no IS 'The fund''s employer affiliation number.';
COMMENT ON COLUMN staging.disputes.period IS 'Disputed contribution month, YYYY-MM.';
COMMENT ON COLUMN staging.disputes.opened_on IS 'Date opened.';
COMMENT ON COLUMN staging.disputes.resolved_on IS 'Resolution date; NULL while open.';
COMMENT ON COLUMN staging.disputes.status IS 'OPEN, UPHELD or CANCELLED.';
COMMENT ON COLUMN staging.disputes.updated_at IS 'Last change in the source.';
COMMENT ON COLUMN staging.disputes.snapshot_date IS 'Lake snapshot that delivered this version of the row.';

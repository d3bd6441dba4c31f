-- Stage 3: monthly selection of debtors, allocation to agencies, dossiers and what was published.
-- Months are DATE values on the first day of the month. Money is DECIMAL(18,2) MAD.

CREATE TABLE IF NOT EXISTS core.dim_agency (
    agency_code       VARCHAR       NOT NULL PRIMARY KEY,
    name              VARCHAR       NOT NULL,
    regions           VARCHAR       NOT NULL,
    monthly_capacity  INTEGER       NOT NULL,
    commission_rate   DECIMAL(6,4)  NOT NULL,
    commission_cap    DECIMAL(18,2) NOT NULL,
    sftp_conn_id      VARCHAR       NOT NULL,
    is_active         BOOLEAN       NOT NULL,
    updated_at        TIMESTAMP     NOT NULL,
    CHECK (monthly_capacity >= 1),
    CHECK (commission_rate >= 0 AND commission_rate <= 1),
    CHECK (commission_cap >= 0)
);
COMMENT ON TABLE core.dim_agency IS 'Recovery agencies under contract, mirrored from the configuration (agencies:) at each run; an agency removed from the configuration stays with is_active false.';
COMMENT ON COLUMN core.dim_agency.agency_code IS 'Agency code used in file names and on the SFTP account, e.g. AG01.';
COMMENT ON COLUMN core.dim_agency.regions IS 'Regions the agency covers, joined with | (for reading; allocation uses the configuration).';
COMMENT ON COLUMN core.dim_agency.monthly_capacity IS 'Most dossiers the agency takes each month.';
COMMENT ON COLUMN core.dim_agency.commission_rate IS 'Current contract rate (share of attributed collections); each dossier keeps the rate it was assigned with.';
COMMENT ON COLUMN core.dim_agency.commission_cap IS 'Current cap per dossier (MAD); each dossier keeps the cap it was assigned with.';
COMMENT ON COLUMN core.dim_agency.sftp_conn_id IS 'Airflow connection id of the agency''s SFTP account.';
COMMENT ON COLUMN core.dim_agency.is_active IS 'False once the agency is no longer in the configuration.';
COMMENT ON COLUMN core.dim_agency.name IS 'Agency''s name.';
COMMENT ON COLUMN core.dim_agency.updated_at IS 'When the row was last refreshed from the configuration (UTC).';

CREATE TABLE IF NOT EXISTS core.selection_decision (
    selection_month  DATE          NOT NULL,
    debtor_id        BIGINT        NOT NULL,
    decision         VARCHAR       NOT NULL,
    reason_code      VARCHAR,
    segment          VARCHAR,
    region           VARCHAR,
    total_due        DECIMAL(18,2) NOT NULL,
    periods_count    INTEGER       NOT NULL,
    score            DECIMAL(12,4),
    priority_rank    INTEGER,
    decided_at       TIMESTAMP     NOT NULL,
    PRIMARY KEY (selection_month, debtor_id),
    CHECK (EXTRACT(DAY FROM selection_month) = 1),
    CHECK (decision IN ('SELECTED', 'NOT_SELECTED', 'EXCLUDED')),
    CHECK (decision <> 'EXCLUDED' OR reason_code IS NOT NULL),
    CHECK (segment IS NULL OR segment IN ('FRESH', 'UNPAID_TITLE'))
);
COMMENT ON TABLE core.selection_decision IS 'Every debtor with unpaid receivables considered in a monthly selection, with the decision and its reason: the portfolio denominator of coverage KPIs and the audit trail of who was placed and why not.';
COMMENT ON COLUMN core.selection_decision.selection_month IS 'Month of the selection (first day), the assignment month of the dossiers it creates.';
COMMENT ON COLUMN core.selection_decision.decision IS 'SELECTED (a dossier is created), NOT_SELECTED (eligible but beyond the monthly quota or capacity), EXCLUDED (not eligible).';
COMMENT ON COLUMN core.selection_decision.reason_code IS 'Why excluded or not selected: LEGAL_PROCEEDING, HONOURED_PLAN, INSOLVENT_OR_LIQUIDATION, DISPUTED, ALREADY_PLACED, RECALL_COOLING_OFF, BELOW_MINIMUM, TITLE_NEAR_LIMIT, QUOTA, NO_AGENCY_CAPACITY; NULL when selected.';
COMMENT ON COLUMN core.selection_decision.segment IS 'FRESH or UNPAID_TITLE, when the receivables fit one.';
COMMENT ON COLUMN core.selection_decision.region IS 'Debtor''s region at selection time.';
COMMENT ON COLUMN core.selection_decision.total_due IS 'Eligible amount owed at selection (principal + surcharges + penalties, MAD).';
COMMENT ON COLUMN core.selection_decision.periods_count IS 'Unpaid contribution months considered.';
COMMENT ON COLUMN core.selection_decision.score IS 'Priority score used to rank eligible debtors (higher first).';
COMMENT ON COLUMN core.selection_decision.priority_rank IS 'Rank of an eligible debtor in the month; NULL when excluded.';
COMMENT ON COLUMN core.selection_decision.debtor_id IS 'Debtor, i.e. legal entity (core.dim_debtor).';
COMMENT ON COLUMN core.selection_decision.decided_at IS 'When the decision was made (UTC).';

CREATE TABLE IF NOT EXISTS core.dossier (
    dossier_id        VARCHAR       NOT NULL PRIMARY KEY,
    assignment_month  DATE          NOT NULL,
    debtor_id         BIGINT        NOT NULL,
    affiliation_no    VARCHAR       NOT NULL,
    agency_code       VARCHAR       NOT NULL,
    segment           VARCHAR       NOT NULL,
    region            VARCHAR,
    assignment_start  DATE          NOT NULL,
    assignment_end    DATE          NOT NULL,
    commission_rate   DECIMAL(6,4)  NOT NULL,
    commission_cap    DECIMAL(18,2) NOT NULL,
    periods_count     INTEGER       NOT NULL,
    oldest_period     DATE          NOT NULL,
    newest_period     DATE          NOT NULL,
    principal_due     DECIMAL(18,2) NOT NULL,
    surcharges_due    DECIMAL(18,2) NOT NULL,
    penalties_due     DECIMAL(18,2) NOT NULL,
    total_due         DECIMAL(18,2) NOT NULL,
    status            VARCHAR       NOT NULL,
    status_date       DATE          NOT NULL,
    created_at        TIMESTAMP     NOT NULL,
    UNIQUE (assignment_month, debtor_id),
    CHECK (dossier_id LIKE 'D______-______'),
    CHECK (EXTRACT(DAY FROM assignment_month) = 1),
    CHECK (segment IN ('FRESH', 'UNPAID_TITLE')),
    CHECK (assignment_end >= assignment_start),
    CHECK (commission_rate >= 0 AND commission_rate <= 1),
    CHECK (commission_cap >= 0),
    CHECK (periods_count >= 1 AND oldest_period <= newest_period),
    CHECK (principal_due >= 0 AND surcharges_due >= 0 AND penalties_due >= 0),
    CHECK (total_due = principal_due + surcharges_due + penalties_due),
    CHECK (status IN ('ALLOCATED', 'PUBLISHED', 'RECALLED', 'CLOSED'))
);
COMMENT ON TABLE core.dossier IS 'A debtor file assigned to one agency for one assignment window: the row of the assignment package (CNSS_ASSIGN), frozen at assignment except its status.';
COMMENT ON COLUMN core.dossier.dossier_id IS 'The fund''s id of the assignment, unique forever: D<YYYYMM>-<6 digits>, e.g. D202611-000123.';
COMMENT ON COLUMN core.dossier.assignment_month IS 'Placement month (first day); the vintage of KPIs.';
COMMENT ON COLUMN core.dossier.affiliation_no IS 'Affiliation number sent to the agency (the debtor''s primary one at assignment).';
COMMENT ON COLUMN core.dossier.segment IS 'FRESH (recently established receivable) or UNPAID_TITLE (older unpaid title).';
COMMENT ON COLUMN core.dossier.region IS 'Debtor''s region used for allocation.';
COMMENT ON COLUMN core.dossier.assignment_start IS 'First day of the window in which the agency works the dossier (inclusive).';
COMMENT ON COLUMN core.dossier.assignment_end IS 'Last day of the window (inclusive).';
COMMENT ON COLUMN core.dossier.commission_rate IS 'Share of attributed collections paid as commission, e.g. 0.0300.';
COMMENT ON COLUMN core.dossier.commission_cap IS 'Most commission payable on this dossier over its life (MAD).';
COMMENT ON COLUMN core.dossier.oldest_period IS 'Oldest unpaid contribution month assigned (first day).';
COMMENT ON COLUMN core.dossier.newest_period IS 'Newest unpaid contribution month assigned (first day).';
COMMENT ON COLUMN core.dossier.principal_due IS 'Principal assigned (MAD), the sum of PRINCIPAL rows of core.dossier_period.';
COMMENT ON COLUMN core.dossier.surcharges_due IS 'Surcharges assigned (MAD).';
COMMENT ON COLUMN core.dossier.penalties_due IS 'Penalties assigned (MAD).';
COMMENT ON COLUMN core.dossier.total_due IS 'Amount assigned: principal + surcharges + penalties (MAD).';
COMMENT ON COLUMN core.dossier.status IS 'ALLOCATED (not yet published), PUBLISHED (with the agency), RECALLED (see core.dossier_recall), CLOSED (nothing left open).';
COMMENT ON COLUMN core.dossier.status_date IS 'Date the current status was reached.';
COMMENT ON COLUMN core.dossier.debtor_id IS 'Debtor, i.e. legal entity (core.dim_debtor).';
COMMENT ON COLUMN core.dossier.agency_code IS 'Agency code, e.g. AG01 (core.dim_agency).';
COMMENT ON COLUMN core.dossier.periods_count IS 'Unpaid contribution months assigned.';
COMMENT ON COLUMN core.dossier.created_at IS 'When the dossier was created (UTC).';

CREATE TABLE IF NOT EXISTS core.dossier_period (
    dossier_id  VARCHAR       NOT NULL,
    period      DATE          NOT NULL,
    kind        VARCHAR       NOT NULL,
    amount_due  DECIMAL(18,2) NOT NULL,
    title_id    VARCHAR,
    PRIMARY KEY (dossier_id, period, kind),
    CHECK (EXTRACT(DAY FROM period) = 1),
    CHECK (kind IN ('PRINCIPAL', 'SURCHARGE', 'PENALTY')),
    CHECK (amount_due > 0)
);
COMMENT ON TABLE core.dossier_period IS 'What a dossier assigns, per unpaid contribution month and kind: the rows of the detail file (CNSS_DETAIL). Per dossier they sum to core.dossier.total_due.';
COMMENT ON COLUMN core.dossier_period.period IS 'Contribution month (first day).';
COMMENT ON COLUMN core.dossier_period.kind IS 'PRINCIPAL, SURCHARGE or PENALTY.';
COMMENT ON COLUMN core.dossier_period.amount_due IS 'Amount assigned for this month and kind (MAD).';
COMMENT ON COLUMN core.dossier_period.title_id IS 'Title covering this receivable, if any.';
COMMENT ON COLUMN core.dossier_period.dossier_id IS 'Dossier, e.g. D202611-000123 (core.dossier).';

CREATE TABLE IF NOT EXISTS core.dossier_recall (
    dossier_id      VARCHAR       NOT NULL PRIMARY KEY,
    recall_date     DATE          NOT NULL,
    reason          VARCHAR       NOT NULL,
    recalled_amount DECIMAL(18,2) NOT NULL,
    decided_at      TIMESTAMP     NOT NULL,
    file_name       VARCHAR,
    CHECK (reason IN ('PAID_IN_FULL', 'LEGAL_PROCEEDING', 'PLAN_WITH_FUND', 'EXPIRED',
                      'MERGED_DUPLICATE', 'FUND_DECISION')),
    CHECK (recalled_amount >= 0)
);
COMMENT ON TABLE core.dossier_recall IS 'Dossiers taken back from their agency (at most once each); after recall_date the agency stops work and later events for the dossier are rejected (E003).';
COMMENT ON COLUMN core.dossier_recall.recall_date IS 'Last day the agency may work the dossier.';
COMMENT ON COLUMN core.dossier_recall.reason IS 'PAID_IN_FULL, LEGAL_PROCEEDING, PLAN_WITH_FUND, EXPIRED, MERGED_DUPLICATE or FUND_DECISION.';
COMMENT ON COLUMN core.dossier_recall.recalled_amount IS 'Amount still open on the dossier at recall (MAD): the recalled term of the money-integrity identity.';
COMMENT ON COLUMN core.dossier_recall.decided_at IS 'When the recall was decided (UTC).';
COMMENT ON COLUMN core.dossier_recall.file_name IS 'Recall file (CNSS_RECALL_...) that told the agency; NULL until published.';
COMMENT ON COLUMN core.dossier_recall.dossier_id IS 'Dossier, e.g. D202611-000123 (core.dossier).';

CREATE TABLE IF NOT EXISTS core.publication_log (
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
    CHECK (file_type IN ('ASSIGN', 'DETAIL', 'MANIFEST', 'RECALL', 'PAYMENTS', 'COMMISSION',
                         'ACK', 'REJECTS')),
    CHECK (length(sha256) = 64),
    CHECK (row_count >= 0)
);
COMMENT ON TABLE core.publication_log IS 'Every file the fund wrote to an agency''s SFTP account (outbox/ and outbox/acks/): what went where, with its checksum, row count and control total.';
COMMENT ON COLUMN core.publication_log.file_name IS 'File name as published, e.g. CNSS_ASSIGN_AG01_202611_01.csv.';
COMMENT ON COLUMN core.publication_log.file_type IS 'ASSIGN, DETAIL, MANIFEST, RECALL, PAYMENTS, COMMISSION, ACK or REJECTS.';
COMMENT ON COLUMN core.publication_log.period_label IS 'Month (YYYYMM) or date (YYYYMMDD) in the file name; for acks, the stem of the file acknowledged.';
COMMENT ON COLUMN core.publication_log.seq IS 'Sequence number in the file name, NULL when it has none.';
COMMENT ON COLUMN core.publication_log.remote_path IS 'Path on the agency''s SFTP account, e.g. outbox/CNSS_ASSIGN_AG01_202611_01.csv.';
COMMENT ON COLUMN core.publication_log.sha256 IS 'SHA-256 (hex) of the file as written.';
COMMENT ON COLUMN core.publication_log.row_count IS 'Data rows in the file (0 for a manifest or ack).';
COMMENT ON COLUMN core.publication_log.control_total IS 'Sum of total_due, amount_due, amount or commission_this_month as the file type defines (MAD); NULL when not applicable.';
COMMENT ON COLUMN core.publication_log.published_at IS 'When the file was renamed to its final name (UTC).';
COMMENT ON COLUMN core.publication_log.agency_code IS 'Agency code, e.g. AG01 (core.dim_agency).';

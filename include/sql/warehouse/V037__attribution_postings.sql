-- Attribution rows become postings: a statement already sent never changes, even when the ledger later
-- moves an attribution from one of its entries to another (docs/reconciliation.md "A statement sent
-- never changes").
--
-- Before, core.attribution held one row per ledger entry and dossier, whose amount a later run could
-- change in place: a payment recorded late but dated before one already attributed takes the month's
-- room first (replay by payment date), so the earlier-attributed entry's row shrank or vanished, in the
-- month whose statement the agency had already received (make demo SCALE=M: D202608-000364's August
-- statement said 19,808.34 attributed, its rows then gave 0.00 for August and 19,808.34 for September).
--
-- Now an entry and dossier may have several rows, one per statement month: the rows of a month the
-- agency has a statement for are kept as they are, and what the entry's attribution (or its split by
-- kind) changed afterwards is posted in the next month, as one row (amount 0 when only its kinds moved).
-- The sum of an entry's rows is its attribution, as before; every month's sum is what its statement says.
--
-- DuckDB cannot change a key or drop a check in place (V034's header), so both tables are re-created
-- with the same columns, their rows copied (each old row its own posting; a kind row takes its
-- attribution row's month), the old ones dropped, the new ones renamed and their comments applied again;
-- the same statements run on PostgreSQL.

CREATE TABLE core.attribution_v037 (
    ledger_payment_id   BIGINT        NOT NULL,
    dossier_id          VARCHAR       NOT NULL,
    agency_code         VARCHAR       NOT NULL,
    amount              DECIMAL(18,2) NOT NULL,
    payment_date        DATE          NOT NULL,
    settles_period      DATE          NOT NULL,
    attribution_month   DATE          NOT NULL,
    attributed_at       TIMESTAMP     NOT NULL,
    PRIMARY KEY (ledger_payment_id, dossier_id, attribution_month),
    CHECK (EXTRACT(DAY FROM attribution_month) = 1)
);
INSERT INTO core.attribution_v037
SELECT ledger_payment_id, dossier_id, agency_code, amount, payment_date, settles_period, attribution_month,
       attributed_at
FROM core.attribution;

CREATE TABLE core.attribution_kind_v037 (
    ledger_payment_id  BIGINT        NOT NULL,
    dossier_id         VARCHAR       NOT NULL,
    attribution_month  DATE          NOT NULL,
    kind               VARCHAR       NOT NULL,
    amount             DECIMAL(18,2) NOT NULL,
    payment_date       DATE          NOT NULL,
    PRIMARY KEY (ledger_payment_id, dossier_id, attribution_month, kind),
    CHECK (kind IN ('PRINCIPAL', 'SURCHARGE', 'PENALTY')),
    CHECK (amount <> 0)
);
INSERT INTO core.attribution_kind_v037
SELECT k.ledger_payment_id, k.dossier_id, a.attribution_month, k.kind, k.amount, k.payment_date
FROM core.attribution_kind AS k
JOIN core.attribution AS a ON a.ledger_payment_id = k.ledger_payment_id AND a.dossier_id = k.dossier_id;

DROP TABLE core.attribution_kind;
DROP TABLE core.attribution;
ALTER TABLE core.attribution_v037 RENAME TO attribution;
ALTER TABLE core.attribution_kind_v037 RENAME TO attribution_kind;

COMMENT ON TABLE core.attribution IS 'Ledger payments that count for an agency: for the dossier''s debtor, dated within the assignment window (and not after recall), settling an assigned month. A reversal of an attributed payment is attributed negatively. Postings: an entry and dossier have one row per statement month in which their attribution (or its split by kind) changed; the rows of a month already on a statement sent to the agency never change, and their sum is the entry''s attribution.';
COMMENT ON COLUMN core.attribution.ledger_payment_id IS 'Ledger payment (core.ledger_payment).';
COMMENT ON COLUMN core.attribution.dossier_id IS 'Dossier, e.g. D202611-000123 (core.dossier).';
COMMENT ON COLUMN core.attribution.agency_code IS 'Agency code, e.g. AG01 (core.dim_agency).';
COMMENT ON COLUMN core.attribution.amount IS 'What this posting changes in the amount attributed to the dossier (MAD): negative for a reversal, or for an attribution a later-recorded entry took over after its month was sent; 0 only when the posting moves its kinds alone. The rows of an entry add up to never more than the dossier still owes.';
COMMENT ON COLUMN core.attribution.payment_date IS 'Ledger payment date.';
COMMENT ON COLUMN core.attribution.settles_period IS 'Assigned contribution month it settles (first day).';
COMMENT ON COLUMN core.attribution.attribution_month IS 'Commission statement month in which this posting counts (first day).';
COMMENT ON COLUMN core.attribution.attributed_at IS 'When it was attributed (UTC).';

COMMENT ON TABLE core.attribution_kind IS 'The kinds each attribution row (core.attribution) settles: the month''s net attributed amount is imputed on its principal, then surcharges, then penalties (programme.imputation_order), each never above what it owes, and a row''s share is the change it makes. The shares of a row add up to its amount; a kind it does not change has no row.';
COMMENT ON COLUMN core.attribution_kind.ledger_payment_id IS 'Ledger payment (core.ledger_payment) of the attribution row.';
COMMENT ON COLUMN core.attribution_kind.dossier_id IS 'Dossier, e.g. D202611-000123 (core.dossier).';
COMMENT ON COLUMN core.attribution_kind.attribution_month IS 'Statement month of the attribution row (core.attribution.attribution_month).';
COMMENT ON COLUMN core.attribution_kind.kind IS 'PRINCIPAL, SURCHARGE or PENALTY (as core.dossier_period.kind).';
COMMENT ON COLUMN core.attribution_kind.amount IS 'Part of the attribution row that settles this kind (MAD), negative for a reversal.';
COMMENT ON COLUMN core.attribution_kind.payment_date IS 'Ledger payment date (as core.attribution.payment_date).';

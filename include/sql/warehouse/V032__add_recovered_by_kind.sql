-- Issue 17.9, recovered by kind (docs/reconciliation.md "Recovered by kind"): each attribution row is
-- split over the kinds its month owes (principal, surcharges, penalties) in the configured imputation
-- order (programme.imputation_order, an assumption); statements, the marts and the report show it.
-- Statement rows computed before have no split (NULL) until their month is computed again.
CREATE TABLE IF NOT EXISTS core.attribution_kind (
    ledger_payment_id  BIGINT        NOT NULL,
    dossier_id         VARCHAR       NOT NULL,
    kind               VARCHAR       NOT NULL,
    amount             DECIMAL(18,2) NOT NULL,
    payment_date       DATE          NOT NULL,
    PRIMARY KEY (ledger_payment_id, dossier_id, kind),
    CHECK (kind IN ('PRINCIPAL', 'SURCHARGE', 'PENALTY')),
    CHECK (amount <> 0)
);
COMMENT ON TABLE core.attribution_kind IS 'The kinds each attribution row (core.attribution) settles: the month''s net attributed amount is imputed on its principal, then surcharges, then penalties (programme.imputation_order), each never above what it owes, and a row''s share is the change it makes. The shares of a row add up to its amount; a kind it does not change has no row.';
COMMENT ON COLUMN core.attribution_kind.ledger_payment_id IS 'Ledger payment (core.ledger_payment) of the attribution row.';
COMMENT ON COLUMN core.attribution_kind.dossier_id IS 'Dossier, e.g. D202611-000123 (core.dossier).';
COMMENT ON COLUMN core.attribution_kind.kind IS 'PRINCIPAL, SURCHARGE or PENALTY (as core.dossier_period.kind).';
COMMENT ON COLUMN core.attribution_kind.amount IS 'Part of the attribution row that settles this kind (MAD), negative for a reversal.';
COMMENT ON COLUMN core.attribution_kind.payment_date IS 'Ledger payment date (as core.attribution.payment_date).';

ALTER TABLE core.commission_statement ADD COLUMN principal_recovered DECIMAL(18,2);
ALTER TABLE core.commission_statement ADD COLUMN surcharges_recovered DECIMAL(18,2);
ALTER TABLE core.commission_statement ADD COLUMN penalties_recovered DECIMAL(18,2);
COMMENT ON COLUMN core.commission_statement.principal_recovered IS 'Of attributed_amount, what settled principal, cumulative (MAD); NULL on a row computed before the split existed.';
COMMENT ON COLUMN core.commission_statement.surcharges_recovered IS 'Of attributed_amount, what settled surcharges, cumulative (MAD).';
COMMENT ON COLUMN core.commission_statement.penalties_recovered IS 'Of attributed_amount, what settled penalties, cumulative (MAD).';

CREATE TABLE IF NOT EXISTS marts.kpi_recovered_kind (
    agency_code             VARCHAR       NOT NULL,
    month                   DATE          NOT NULL,
    principal_in_month      DECIMAL(18,2) NOT NULL,
    surcharges_in_month     DECIMAL(18,2) NOT NULL,
    penalties_in_month      DECIMAL(18,2) NOT NULL,
    recovered_in_month      DECIMAL(18,2) NOT NULL,
    principal_to_date       DECIMAL(18,2) NOT NULL,
    surcharges_to_date      DECIMAL(18,2) NOT NULL,
    penalties_to_date       DECIMAL(18,2) NOT NULL,
    recovered_to_date       DECIMAL(18,2) NOT NULL,
    computed_at             TIMESTAMP     NOT NULL,
    PRIMARY KEY (agency_code, month),
    CHECK (EXTRACT(DAY FROM month) = 1),
    CHECK (recovered_in_month = principal_in_month + surcharges_in_month + penalties_in_month),
    CHECK (recovered_to_date = principal_to_date + surcharges_to_date + penalties_to_date)
);
COMMENT ON TABLE marts.kpi_recovered_kind IS 'Recovered by kind per agency and statement month: what the agency''s attributions settled of principal, surcharges and penalties (core.attribution_kind), in the month and to date, net of reversals.';
COMMENT ON COLUMN marts.kpi_recovered_kind.agency_code IS 'Agency code, e.g. AG01 (core.dim_agency).';
COMMENT ON COLUMN marts.kpi_recovered_kind.month IS 'Statement month (first day): attributions count in their attribution_month, as in marts.kpi_agency_month.';
COMMENT ON COLUMN marts.kpi_recovered_kind.principal_in_month IS 'Principal recovered in the month, net of reversals (MAD).';
COMMENT ON COLUMN marts.kpi_recovered_kind.surcharges_in_month IS 'Surcharges recovered in the month, net of reversals (MAD).';
COMMENT ON COLUMN marts.kpi_recovered_kind.penalties_in_month IS 'Penalties recovered in the month, net of reversals (MAD).';
COMMENT ON COLUMN marts.kpi_recovered_kind.recovered_in_month IS 'All kinds: equals marts.kpi_agency_month.attributed_in_month (MAD).';
COMMENT ON COLUMN marts.kpi_recovered_kind.principal_to_date IS 'Principal recovered up to the end of the month (MAD).';
COMMENT ON COLUMN marts.kpi_recovered_kind.surcharges_to_date IS 'Surcharges recovered up to the end of the month (MAD).';
COMMENT ON COLUMN marts.kpi_recovered_kind.penalties_to_date IS 'Penalties recovered up to the end of the month (MAD).';
COMMENT ON COLUMN marts.kpi_recovered_kind.recovered_to_date IS 'All kinds, up to the end of the month (MAD).';
COMMENT ON COLUMN marts.kpi_recovered_kind.computed_at IS 'When the row was computed (UTC).';

CREATE VIEW marts.v_recovered_by_kind AS
SELECT agency_code,
       month,
       principal_in_month,
       surcharges_in_month,
       penalties_in_month,
       recovered_in_month,
       principal_to_date,
       surcharges_to_date,
       penalties_to_date,
       recovered_to_date
FROM marts.kpi_recovered_kind;
COMMENT ON VIEW marts.v_recovered_by_kind IS 'BI view: recovered by kind (principal, surcharges, penalties) per agency and statement month, in the month and to date, split by the configured imputation order. Stable contract; see docs/kpi.md.';
COMMENT ON COLUMN marts.v_recovered_by_kind.agency_code IS 'Agency code, e.g. AG01.';
COMMENT ON COLUMN marts.v_recovered_by_kind.month IS 'Statement month (first day).';
COMMENT ON COLUMN marts.v_recovered_by_kind.principal_in_month IS 'Principal recovered in the month, net of reversals (MAD).';
COMMENT ON COLUMN marts.v_recovered_by_kind.surcharges_in_month IS 'Surcharges recovered in the month, net of reversals (MAD).';
COMMENT ON COLUMN marts.v_recovered_by_kind.penalties_in_month IS 'Penalties recovered in the month, net of reversals (MAD).';
COMMENT ON COLUMN marts.v_recovered_by_kind.recovered_in_month IS 'All kinds: recovered_in_month of marts.v_agency_month (MAD).';
COMMENT ON COLUMN marts.v_recovered_by_kind.principal_to_date IS 'Principal recovered up to the end of the month (MAD).';
COMMENT ON COLUMN marts.v_recovered_by_kind.surcharges_to_date IS 'Surcharges recovered up to the end of the month (MAD).';
COMMENT ON COLUMN marts.v_recovered_by_kind.penalties_to_date IS 'Penalties recovered up to the end of the month (MAD).';
COMMENT ON COLUMN marts.v_recovered_by_kind.recovered_to_date IS 'All kinds, up to the end of the month (MAD).';

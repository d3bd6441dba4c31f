-- Issue 17.3, added debts (docs/agency-exchange.md "Added debts"): new unpaid months of a debtor whose
-- dossier is with an agency are added to that dossier by a supplementary detail file (CNSS_ADDED, with a
-- manifest and control totals as for a package). They count for the agency from the day the file is
-- sent (sent_on); core.dossier and core.dossier_period keep what the package assigned.
CREATE TABLE IF NOT EXISTS core.dossier_addition (
    dossier_id   VARCHAR       NOT NULL,
    period       DATE          NOT NULL,
    kind         VARCHAR       NOT NULL,
    amount_due   DECIMAL(18,2) NOT NULL,
    title_id     VARCHAR,
    agency_code  VARCHAR       NOT NULL,
    added_on     DATE          NOT NULL,
    file_name    VARCHAR,
    sent_on      DATE,
    created_at   TIMESTAMP     NOT NULL,
    PRIMARY KEY (dossier_id, period, kind),
    CHECK (EXTRACT(DAY FROM period) = 1),
    CHECK (kind IN ('PRINCIPAL', 'SURCHARGE', 'PENALTY')),
    CHECK (amount_due > 0)
);
COMMENT ON TABLE core.dossier_addition IS 'Unpaid months added to a dossier already with its agency, per month and kind: the rows of the supplementary detail file (CNSS_ADDED). A month counts for the agency (attribution, what the dossier owes, the KPIs) from sent_on.';
COMMENT ON COLUMN core.dossier_addition.dossier_id IS 'Dossier, e.g. D202611-000123 (core.dossier).';
COMMENT ON COLUMN core.dossier_addition.period IS 'Contribution month added (first day), newer than every month the dossier was assigned.';
COMMENT ON COLUMN core.dossier_addition.kind IS 'PRINCIPAL, SURCHARGE or PENALTY.';
COMMENT ON COLUMN core.dossier_addition.amount_due IS 'Amount added for this month and kind (MAD): the lake''s outstanding on added_on.';
COMMENT ON COLUMN core.dossier_addition.title_id IS 'Title covering this receivable, if any.';
COMMENT ON COLUMN core.dossier_addition.agency_code IS 'Agency holding the dossier, e.g. AG01 (core.dim_agency).';
COMMENT ON COLUMN core.dossier_addition.added_on IS 'Day of the run that sent the supplementary file (its name carries it): from it the month counts for the agency, once the file is published.';
COMMENT ON COLUMN core.dossier_addition.file_name IS 'Supplementary detail file (CNSS_ADDED_...) that carries the row.';
COMMENT ON COLUMN core.dossier_addition.sent_on IS 'Day (fund''s local date) the file was recorded as published; a row counts once published, from added_on.';
COMMENT ON COLUMN core.dossier_addition.created_at IS 'When the row was written (UTC).';
COMMENT ON COLUMN marts.fact_dossier_month.assigned_amount IS 'total_due of the dossier, plus the months added to it by a published supplementary detail file dated by the month end (MAD).';

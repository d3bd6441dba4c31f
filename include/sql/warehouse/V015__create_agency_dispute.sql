-- Stage 3 (lifecycle): an agency's closure DISPUTED is the debtor contesting what the dossier claims.
-- The fund recalls the dossier (FUND_DECISION) and records the dispute here, for its disputes service to
-- examine (the fund's own disputes, with their resolution, live in the source's disputes table).
-- A closure CEASED_NO_ASSETS now excludes its debtor from selection while it stays CEASED.

CREATE TABLE IF NOT EXISTS core.agency_dispute (
    agency_code     VARCHAR   NOT NULL,
    closure_id      VARCHAR   NOT NULL,
    dossier_id      VARCHAR   NOT NULL,
    debtor_id       BIGINT    NOT NULL,
    affiliation_no  VARCHAR   NOT NULL,
    reported_on     DATE      NOT NULL,
    recorded_on     DATE      NOT NULL,
    disputed_amount DECIMAL(18,2) NOT NULL,
    comment         VARCHAR,
    decided_at      TIMESTAMP NOT NULL,
    PRIMARY KEY (agency_code, closure_id),
    CHECK (disputed_amount >= 0)
);
COMMENT ON TABLE core.agency_dispute IS 'Disputes an agency reported by closing a dossier DISPUTED (core.agency_closure), recorded by the lifecycle refresh that recalled the dossier FUND_DECISION; for the fund''s disputes service to open in its own records.';
COMMENT ON COLUMN core.agency_dispute.agency_code IS 'Agency code, e.g. AG01 (core.dim_agency).';
COMMENT ON COLUMN core.agency_dispute.closure_id IS 'The agency''s id of the DISPUTED closure (core.agency_closure).';
COMMENT ON COLUMN core.agency_dispute.dossier_id IS 'Dossier, e.g. D202611-000123 (core.dossier).';
COMMENT ON COLUMN core.agency_dispute.debtor_id IS 'Debtor, i.e. legal entity (core.dim_debtor).';
COMMENT ON COLUMN core.agency_dispute.affiliation_no IS 'Affiliation number of the dossier (as sent to the agency).';
COMMENT ON COLUMN core.agency_dispute.reported_on IS 'closure_date: the day the agency closed its work on the dossier as disputed.';
COMMENT ON COLUMN core.agency_dispute.recorded_on IS 'Day of the lifecycle refresh that recorded the dispute and recalled the dossier.';
COMMENT ON COLUMN core.agency_dispute.disputed_amount IS 'What the dossier still owed on the recall date (MAD), the amount in dispute.';
COMMENT ON COLUMN core.agency_dispute.comment IS 'The agency''s free text of the closure.';
COMMENT ON COLUMN core.agency_dispute.decided_at IS 'When the refresh recorded it (UTC).';

COMMENT ON COLUMN core.selection_decision.reason_code IS 'Why: SELECTED has TOP_SCORE; EXCLUDED has ALREADY_PLACED, RECALL_COOLING_OFF, INSOLVENT_OR_LIQUIDATION, CEASED_NO_ASSETS, LEGAL_PROCEEDING, HONOURED_PLAN, DISPUTED, BELOW_MINIMUM or TITLE_NEAR_LIMIT (the first that applies, in that order); NOT_SELECTED has QUOTA (ranked below the month''s cutoff) or NO_AGENCY_CAPACITY (no agency serving its region had room).';

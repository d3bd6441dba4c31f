-- Issue 16, a month costs what changed (docs/reconciliation.md "Only what changed"): what the last
-- reconciliation read about each dossier, so that the next one reconciles again only the groups of
-- dossiers whose inputs changed (recouvra.reconcile_increment). Safe to empty: the next run then
-- reconciles everything, as `reconciliation.full_rebuild` does.
CREATE TABLE IF NOT EXISTS core.reconcile_input (
    dossier_id      VARCHAR     NOT NULL PRIMARY KEY,
    group_id        VARCHAR     NOT NULL,
    digest          VARCHAR     NOT NULL,
    reconciled_on   DATE        NOT NULL,
    reconciled_at   TIMESTAMP   NOT NULL
);
COMMENT ON TABLE core.reconcile_input IS 'What the last reconciliation read about each dossier (its group and a digest of its inputs): the next one reconciles again only the groups whose inputs changed. Safe to empty.';
COMMENT ON COLUMN core.reconcile_input.dossier_id IS 'A dossier started by the run date, or one an agency payment names.';
COMMENT ON COLUMN core.reconcile_input.group_id IS 'The group of dossiers reconciled together (those sharing an affiliation number, a quoted receipt or a payment reference): its smallest dossier_id.';
COMMENT ON COLUMN core.reconcile_input.digest IS 'SHA-256 of everything the reconciliation read about the dossier: terms, what its months owe by kind, agency payments, ledger entries, the imputation order.';
COMMENT ON COLUMN core.reconcile_input.reconciled_on IS 'Run date of the reconciliation that last reconciled the dossier.';
COMMENT ON COLUMN core.reconcile_input.reconciled_at IS 'When it did (UTC).';

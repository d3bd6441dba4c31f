-- Stage 2: the debtor master. Entity resolution groups affiliation numbers into legal entities
-- (debtors); each debtor has one current golden record (core.dim_debtor) and a dated history of
-- every version of it (core.debtor_history, type 2: valid_from inclusive, valid_to exclusive).

CREATE SEQUENCE IF NOT EXISTS core.debtor_id_seq START 1;

CREATE TABLE IF NOT EXISTS core.dim_debtor (
    debtor_id               BIGINT    NOT NULL DEFAULT nextval('core.debtor_id_seq') PRIMARY KEY,
    primary_affiliation_no  VARCHAR   NOT NULL,
    legal_name              VARCHAR   NOT NULL,
    legal_form              VARCHAR,
    is_natural_person       BOOLEAN   NOT NULL,
    ice                     VARCHAR,
    rc_number               VARCHAR,
    rc_court                VARCHAR,
    if_number               VARCHAR,
    cin                     VARCHAR,
    address                 VARCHAR,
    city                    VARCHAR,
    region                  VARCHAR,
    phone_1                 VARCHAR,
    phone_2                 VARCHAR,
    email                   VARCHAR,
    legal_rep_name          VARCHAR,
    sector                  VARCHAR,
    activity_status         VARCHAR   NOT NULL,
    affiliations_count      INTEGER   NOT NULL,
    status                  VARCHAR   NOT NULL,
    merged_into_debtor_id   BIGINT,
    created_at              TIMESTAMP NOT NULL,
    updated_at              TIMESTAMP NOT NULL,
    CHECK (activity_status IN ('ACTIVE', 'CEASED', 'SUSPENDED', 'LIQUIDATION', 'INSOLVENT', 'UNKNOWN')),
    CHECK (status IN ('ACTIVE', 'MERGED')),
    CHECK ((status = 'MERGED') = (merged_into_debtor_id IS NOT NULL)),
    CHECK (affiliations_count >= 1)
);
COMMENT ON TABLE core.dim_debtor IS 'Debtor master: one row per legal entity (a group of affiliation numbers found to be the same company or person), holding the current golden record. Past versions are in core.debtor_history.';
COMMENT ON COLUMN core.dim_debtor.debtor_id IS 'Warehouse id of the entity (sequence core.debtor_id_seq); stable across re-runs of entity resolution, retired by a merge.';
COMMENT ON COLUMN core.dim_debtor.primary_affiliation_no IS 'Affiliation number shown to agencies for this debtor (the one with the most debt, or the oldest).';
COMMENT ON COLUMN core.dim_debtor.legal_name IS 'Golden legal name.';
COMMENT ON COLUMN core.dim_debtor.ice IS 'ICE, 15 digits with a valid check (mod 97); NULL when no valid one is known.';
COMMENT ON COLUMN core.dim_debtor.rc_number IS 'Trade register number (the key is number plus rc_court).';
COMMENT ON COLUMN core.dim_debtor.city IS 'Canonical city name of the address (spelling variants resolved).';
COMMENT ON COLUMN core.dim_debtor.if_number IS 'Tax id (identifiant fiscal).';
COMMENT ON COLUMN core.dim_debtor.cin IS 'National identity card number, for a natural-person debtor.';
COMMENT ON COLUMN core.dim_debtor.is_natural_person IS 'True for a natural person (sole trader, non-salaried worker), identified by CIN.';
COMMENT ON COLUMN core.dim_debtor.legal_rep_name IS 'Manager or legal representative.';
COMMENT ON COLUMN core.dim_debtor.region IS 'One of Morocco''s 12 regions, from the city; NULL when unknown.';
COMMENT ON COLUMN core.dim_debtor.phone_1 IS 'Best known phone, E.164 (+212...).';
COMMENT ON COLUMN core.dim_debtor.phone_2 IS 'Second known phone, E.164.';
COMMENT ON COLUMN core.dim_debtor.email IS 'Best known email address, lower case.';
COMMENT ON COLUMN core.dim_debtor.activity_status IS 'ACTIVE, CEASED, SUSPENDED, LIQUIDATION, INSOLVENT or UNKNOWN (source status, or an agency ACTIVITY_STATUS update).';
COMMENT ON COLUMN core.dim_debtor.affiliations_count IS 'Affiliation numbers currently bridged to this debtor.';
COMMENT ON COLUMN core.dim_debtor.status IS 'ACTIVE, or MERGED when entity resolution later found it to be the same as another debtor.';
COMMENT ON COLUMN core.dim_debtor.merged_into_debtor_id IS 'For a MERGED debtor, the debtor_id that absorbed it.';
COMMENT ON COLUMN core.dim_debtor.created_at IS 'When the debtor was first created (UTC).';
COMMENT ON COLUMN core.dim_debtor.updated_at IS 'When the golden record last changed (UTC).';
COMMENT ON COLUMN core.dim_debtor.legal_form IS 'Legal form: SA, SARL, SARL AU, SNC, EI, ...';
COMMENT ON COLUMN core.dim_debtor.rc_court IS 'City of the commercial court of the trade register entry.';
COMMENT ON COLUMN core.dim_debtor.address IS 'Address (street part).';
COMMENT ON COLUMN core.dim_debtor.sector IS 'Sector of activity.';

CREATE TABLE IF NOT EXISTS core.debtor_history (
    debtor_id               BIGINT    NOT NULL,
    valid_from              TIMESTAMP NOT NULL,
    valid_to                TIMESTAMP,
    is_current              BOOLEAN   NOT NULL,
    primary_affiliation_no  VARCHAR   NOT NULL,
    legal_name              VARCHAR   NOT NULL,
    legal_form              VARCHAR,
    is_natural_person       BOOLEAN   NOT NULL,
    ice                     VARCHAR,
    rc_number               VARCHAR,
    rc_court                VARCHAR,
    if_number               VARCHAR,
    cin                     VARCHAR,
    address                 VARCHAR,
    city                    VARCHAR,
    region                  VARCHAR,
    phone_1                 VARCHAR,
    phone_2                 VARCHAR,
    email                   VARCHAR,
    legal_rep_name          VARCHAR,
    sector                  VARCHAR,
    activity_status         VARCHAR   NOT NULL,
    change_source           VARCHAR   NOT NULL,
    change_ref              VARCHAR,
    PRIMARY KEY (debtor_id, valid_from),
    CHECK (valid_to IS NULL OR valid_to > valid_from),
    CHECK (is_current = (valid_to IS NULL)),
    CHECK (change_source IN ('SOURCE', 'AGENCY', 'MERGE'))
);
COMMENT ON TABLE core.debtor_history IS 'Every version of each debtor''s golden record (slowly changing dimension, type 2): what the fund knew of a debtor on any date, e.g. the address sent in an assignment.';
COMMENT ON COLUMN core.debtor_history.valid_from IS 'Start of validity (UTC, inclusive).';
COMMENT ON COLUMN core.debtor_history.valid_to IS 'End of validity (UTC, exclusive); NULL for the current version.';
COMMENT ON COLUMN core.debtor_history.is_current IS 'True for the current version (valid_to IS NULL); it equals core.dim_debtor.';
COMMENT ON COLUMN core.debtor_history.change_source IS 'What produced this version: SOURCE (an extract), AGENCY (a contact update), MERGE (entity resolution).';
COMMENT ON COLUMN core.debtor_history.change_ref IS 'Reference of the change: snapshot date, agency_code:update_id, or the absorbed debtor_id.';
COMMENT ON COLUMN core.debtor_history.debtor_id IS 'Debtor, i.e. legal entity (core.dim_debtor).';
COMMENT ON COLUMN core.debtor_history.primary_affiliation_no IS 'Affiliation number shown for this version of the debtor.';
COMMENT ON COLUMN core.debtor_history.legal_name IS 'Legal name.';
COMMENT ON COLUMN core.debtor_history.legal_form IS 'Legal form: SA, SARL, SARL AU, SNC, EI, ...';
COMMENT ON COLUMN core.debtor_history.is_natural_person IS 'True for a natural person (sole trader, non-salaried worker).';
COMMENT ON COLUMN core.debtor_history.ice IS 'ICE, 15 digits with a valid check; NULL when no valid one is known.';
COMMENT ON COLUMN core.debtor_history.rc_number IS 'Trade register number (with rc_court).';
COMMENT ON COLUMN core.debtor_history.rc_court IS 'City of the commercial court of the trade register entry.';
COMMENT ON COLUMN core.debtor_history.if_number IS 'Tax id (identifiant fiscal).';
COMMENT ON COLUMN core.debtor_history.cin IS 'National identity card number, for a natural person.';
COMMENT ON COLUMN core.debtor_history.address IS 'Address (street part).';
COMMENT ON COLUMN core.debtor_history.city IS 'Canonical city name.';
COMMENT ON COLUMN core.debtor_history.region IS 'Region of the debtor (one of Morocco''s 12 regions).';
COMMENT ON COLUMN core.debtor_history.phone_1 IS 'Best known phone, E.164.';
COMMENT ON COLUMN core.debtor_history.phone_2 IS 'Second known phone, E.164.';
COMMENT ON COLUMN core.debtor_history.email IS 'Email address.';
COMMENT ON COLUMN core.debtor_history.legal_rep_name IS 'Manager or legal representative.';
COMMENT ON COLUMN core.debtor_history.sector IS 'Sector of activity.';
COMMENT ON COLUMN core.debtor_history.activity_status IS 'ACTIVE, CEASED, SUSPENDED, LIQUIDATION, INSOLVENT or UNKNOWN.';

CREATE TABLE IF NOT EXISTS core.bridge_affiliation_debtor (
    affiliation_no  VARCHAR       NOT NULL,
    valid_from      DATE          NOT NULL,
    valid_to        DATE,
    is_current      BOOLEAN       NOT NULL,
    debtor_id       BIGINT        NOT NULL,
    match_rule      VARCHAR       NOT NULL,
    match_score     DECIMAL(7,4),
    PRIMARY KEY (affiliation_no, valid_from),
    CHECK (valid_to IS NULL OR valid_to > valid_from),
    CHECK (is_current = (valid_to IS NULL))
);
COMMENT ON TABLE core.bridge_affiliation_debtor IS 'Which debtor (legal entity) each affiliation number belongs to, with history: an affiliation moves to another debtor when entity resolution merges or splits entities. One current row per affiliation number.';
COMMENT ON COLUMN core.bridge_affiliation_debtor.valid_from IS 'First day the affiliation belongs to debtor_id (inclusive).';
COMMENT ON COLUMN core.bridge_affiliation_debtor.valid_to IS 'Day it stopped (exclusive); NULL while current.';
COMMENT ON COLUMN core.bridge_affiliation_debtor.match_rule IS 'Rule that linked it: SINGLETON (alone in its entity) or the strongest rule in core.debtor_match_evidence.';
COMMENT ON COLUMN core.bridge_affiliation_debtor.match_score IS 'Score of that rule in [0, 1]; NULL for SINGLETON.';
COMMENT ON COLUMN core.bridge_affiliation_debtor.affiliation_no IS 'The fund''s employer affiliation number.';
COMMENT ON COLUMN core.bridge_affiliation_debtor.is_current IS 'True for the current row (valid_to IS NULL).';
COMMENT ON COLUMN core.bridge_affiliation_debtor.debtor_id IS 'Debtor, i.e. legal entity (core.dim_debtor).';

CREATE TABLE IF NOT EXISTS core.debtor_match_evidence (
    resolved_on       DATE         NOT NULL,
    affiliation_no_a  VARCHAR      NOT NULL,
    affiliation_no_b  VARCHAR      NOT NULL,
    rule              VARCHAR      NOT NULL,
    fields_matched    VARCHAR      NOT NULL,
    score             DECIMAL(7,4) NOT NULL,
    decision          VARCHAR      NOT NULL,
    PRIMARY KEY (resolved_on, affiliation_no_a, affiliation_no_b),
    CHECK (affiliation_no_a < affiliation_no_b),
    CHECK (score >= 0 AND score <= 1),
    CHECK (decision IN ('MATCH', 'NON_MATCH', 'REVIEW'))
);
COMMENT ON TABLE core.debtor_match_evidence IS 'Why entity resolution linked (or did not link) two affiliation numbers: one row per compared pair and run, so every debtor grouping can be explained and reviewed.';
COMMENT ON COLUMN core.debtor_match_evidence.resolved_on IS 'Date of the entity-resolution run.';
COMMENT ON COLUMN core.debtor_match_evidence.affiliation_no_a IS 'First affiliation number of the pair (the smaller, so a pair is stored once).';
COMMENT ON COLUMN core.debtor_match_evidence.affiliation_no_b IS 'Second affiliation number of the pair.';
COMMENT ON COLUMN core.debtor_match_evidence.rule IS 'Deciding rule, e.g. ICE_EXACT, RC_COURT_EXACT, CIN_EXACT, NAME_ADDRESS_FUZZY, PHONE_EMAIL.';
COMMENT ON COLUMN core.debtor_match_evidence.fields_matched IS 'Comma-separated fields that agreed, e.g. ice,name,city.';
COMMENT ON COLUMN core.debtor_match_evidence.score IS 'Match score in [0, 1].';
COMMENT ON COLUMN core.debtor_match_evidence.decision IS 'MATCH (linked), NON_MATCH, or REVIEW (left unlinked, for a person to check).';

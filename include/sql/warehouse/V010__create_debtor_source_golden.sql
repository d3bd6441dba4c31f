-- Stage 2: the golden record each debtor had from the fund's own source at the last debtor-master
-- build, before agency findings were laid over it. The next build compares with it to tell whether
-- the source itself changed a field (then the source wins over an older agency observation) or not
-- (then the agency's finding stays in core.dim_debtor).

CREATE TABLE IF NOT EXISTS core.debtor_source_golden (
    debtor_id        BIGINT    NOT NULL PRIMARY KEY,
    built_on         DATE      NOT NULL,
    source_updated_on DATE,
    address          VARCHAR,
    city             VARCHAR,
    region           VARCHAR,
    phone_1          VARCHAR,
    phone_2          VARCHAR,
    email            VARCHAR,
    legal_rep_name   VARCHAR,
    activity_status  VARCHAR   NOT NULL
);
COMMENT ON TABLE core.debtor_source_golden IS 'Golden contact fields of each debtor as the fund''s source alone gives them (last debtor-master build), kept to tell a source change from an agency finding.';
COMMENT ON COLUMN core.debtor_source_golden.debtor_id IS 'The debtor (core.dim_debtor).';
COMMENT ON COLUMN core.debtor_source_golden.built_on IS 'Date of the debtor-master build that computed these values.';
COMMENT ON COLUMN core.debtor_source_golden.source_updated_on IS 'Latest source change date (updated_at) of the debtor''s affiliation records.';
COMMENT ON COLUMN core.debtor_source_golden.address IS 'Address from the source.';
COMMENT ON COLUMN core.debtor_source_golden.city IS 'Canonical city from the source.';
COMMENT ON COLUMN core.debtor_source_golden.region IS 'Region of that city.';
COMMENT ON COLUMN core.debtor_source_golden.phone_1 IS 'Best source phone, E.164.';
COMMENT ON COLUMN core.debtor_source_golden.phone_2 IS 'Second source phone, E.164.';
COMMENT ON COLUMN core.debtor_source_golden.email IS 'Best source e-mail.';
COMMENT ON COLUMN core.debtor_source_golden.legal_rep_name IS 'Legal representative from the source.';
COMMENT ON COLUMN core.debtor_source_golden.activity_status IS 'Activity status from the source statuses of the affiliations.';

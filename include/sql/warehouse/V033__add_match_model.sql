-- Issue 16, a month costs what changed (docs/entity-resolution.md "Incremental months"): the
-- Fellegi-Sunter model a full build trained on the whole portfolio, stored so that later months score
-- their candidate pairs with it instead of training again (recouvra.debtor_master). A build uses the
-- latest model trained on or before its day; `recouvra master build --retrain` (or the setting
-- debtor_master.retrain) trains a new one.
CREATE TABLE IF NOT EXISTS core.match_model (
    trained_on              DATE             NOT NULL,
    prior                   DOUBLE PRECISION NOT NULL,
    prior_among_candidates  DOUBLE PRECISION NOT NULL,
    records_count           BIGINT           NOT NULL,
    candidate_pairs         BIGINT           NOT NULL,
    random_pairs            BIGINT           NOT NULL,
    iterations              INTEGER          NOT NULL,
    trained_at              TIMESTAMP        NOT NULL,
    PRIMARY KEY (trained_on),
    CHECK (prior > 0 AND prior < 1),
    CHECK (prior_among_candidates > 0 AND prior_among_candidates < 1),
    CHECK (records_count >= 0)
);
COMMENT ON TABLE core.match_model IS 'Fellegi-Sunter models of the debtor master (recouvra.fellegi_sunter), one per day a build trained one; later builds score with the latest trained on or before their day.';
COMMENT ON COLUMN core.match_model.trained_on IS 'Day of the debtor-master build that trained the model.';
COMMENT ON COLUMN core.match_model.prior IS 'Chance that two records drawn at random from the portfolio are one debtor (lam).';
COMMENT ON COLUMN core.match_model.prior_among_candidates IS 'Expected share of matches among the candidate pairs.';
COMMENT ON COLUMN core.match_model.records_count IS 'Employer records (affiliation numbers) the model was trained on.';
COMMENT ON COLUMN core.match_model.candidate_pairs IS 'Candidate pairs behind the m probabilities (EM).';
COMMENT ON COLUMN core.match_model.random_pairs IS 'Random record pairs behind the u probabilities.';
COMMENT ON COLUMN core.match_model.iterations IS 'EM iterations run, all sessions together.';
COMMENT ON COLUMN core.match_model.trained_at IS 'When the model was trained (UTC).';

CREATE TABLE IF NOT EXISTS core.match_model_level (
    trained_on  DATE             NOT NULL,
    field       VARCHAR          NOT NULL,
    level       INTEGER          NOT NULL,
    label       VARCHAR          NOT NULL,
    m           DOUBLE PRECISION NOT NULL,
    u           DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (trained_on, field, level),
    CHECK (level >= 0),
    CHECK (m > 0 AND m <= 1),
    CHECK (u > 0 AND u <= 1)
);
COMMENT ON TABLE core.match_model_level IS 'The m and u probabilities of each compared field and comparison level of a stored model (core.match_model).';
COMMENT ON COLUMN core.match_model_level.trained_on IS 'The model (core.match_model.trained_on).';
COMMENT ON COLUMN core.match_model_level.field IS 'Compared field, e.g. name, address, phone (recouvra.matching.FS_FIELDS).';
COMMENT ON COLUMN core.match_model_level.level IS 'Comparison level, 0 = the values differ, higher = closer agreement.';
COMMENT ON COLUMN core.match_model_level.label IS 'Name of the level, e.g. differ, phonetic, exact.';
COMMENT ON COLUMN core.match_model_level.m IS 'Chance that two records of one debtor fall in this level.';
COMMENT ON COLUMN core.match_model_level.u IS 'Chance that two records of different debtors fall in this level.';

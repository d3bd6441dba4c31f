-- Issue 14, a mailbox as a company's support where namesakes do not share theirs (docs/entity-resolution.md
-- "A mailbox, where namesakes do not share theirs"): the stored model keeps how often records of one
-- name that two different identifiers keep apart hold one e-mail (recouvra.matching.namesakes_mail_share,
-- the upper bound of that share), so that a month scored with the stored model gates its links as the
-- build that trained it did. Models stored before this migration have none (NULL): read as 1, the e-mail
-- not counted, as before.
ALTER TABLE core.match_model ADD COLUMN namesakes_mail_share DOUBLE PRECISION;
COMMENT ON COLUMN core.match_model.namesakes_mail_share IS 'Upper bound (95 %) of the share of same-name record pairs that two different ICE roots or CINs keep apart and that hold one e-mail; NULL: not kept (models stored before V038).';

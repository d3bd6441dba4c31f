-- Fee schedules (agencies[].fee_schedule): a dossier's commission rate may depend on its segment and the
-- age of its debt, effective-dated. The dossier keeps the rate it was assigned with (commission_rate) and,
-- here, why: the fee rule in words, or the agency's flat rate. Dossiers created before fee schedules
-- existed were all assigned at their agency's flat rate.
ALTER TABLE core.dossier ADD COLUMN commission_basis VARCHAR;
UPDATE core.dossier SET commission_basis = 'agency''s flat rate' WHERE commission_basis IS NULL;
COMMENT ON COLUMN core.dossier.commission_basis IS 'Why the dossier has its commission_rate: the fee-schedule rule in force at assignment (in words), or the agency''s flat rate; statements show it.';

-- Issue 17.2, re-placement (docs/selection.md "Re-placement"): a dossier returned unresolved (EXPIRED,
-- or FUND_DECISION on an agency's UNREACHABLE or OTHER closure, or its agency retired) may be placed
-- again, with another agency, as tier 2, then 3. The new dossier keeps its tier and the previous
-- placement's outcome; the KPIs read recovery by tier. Dossiers made before are all first placements.
ALTER TABLE core.dossier ADD COLUMN placement_tier INTEGER;
UPDATE core.dossier SET placement_tier = 1 WHERE placement_tier IS NULL;
ALTER TABLE core.dossier ADD COLUMN previous_dossier_id VARCHAR;
ALTER TABLE core.dossier ADD COLUMN previous_agency_code VARCHAR;
ALTER TABLE core.dossier ADD COLUMN previous_recall_reason VARCHAR;
ALTER TABLE core.dossier ADD COLUMN previous_recovered DECIMAL(18,2);
COMMENT ON COLUMN core.dossier.placement_tier IS '1 for a debtor''s first placement; 2, 3, ... for a re-placement after the previous dossier was returned unresolved (at most programme.eligibility.max_placement_tier).';
COMMENT ON COLUMN core.dossier.previous_dossier_id IS 'The dossier returned unresolved that this one re-places (tier 2 and above); empty for tier 1.';
COMMENT ON COLUMN core.dossier.previous_agency_code IS 'Agency that held the previous dossier (never the agency of this one).';
COMMENT ON COLUMN core.dossier.previous_recall_reason IS 'How the previous dossier ended: EXPIRED, or FUND_DECISION with the agency''s closure reason (FUND_DECISION/UNREACHABLE, FUND_DECISION/OTHER) or FUND_DECISION/AGENCY_RETIRED.';
COMMENT ON COLUMN core.dossier.previous_recovered IS 'What was attributed to the previous dossier, net of reversals, when this one was created (MAD).';

ALTER TABLE marts.fact_dossier_month ADD COLUMN placement_tier INTEGER;
UPDATE marts.fact_dossier_month SET placement_tier = 1 WHERE placement_tier IS NULL;
COMMENT ON COLUMN marts.fact_dossier_month.placement_tier IS 'Placement tier of the dossier: 1 first placement, 2 and above a re-placement (core.dossier.placement_tier).';

CREATE VIEW marts.v_recovery_tier AS
SELECT as_of_month,
       placement_tier,
       agency_code,
       count(*) AS dossiers_count,
       sum(assigned_amount) AS assigned_amount,
       sum(attributed_to_date) AS recovered_to_date,
       sum(open_amount) AS open_amount,
       sum(recalled_amount) AS recalled_amount,
       CASE WHEN sum(assigned_amount) > 0
            THEN CAST(sum(attributed_to_date) / sum(assigned_amount) AS DECIMAL(9,6)) END AS recovery_rate
FROM marts.fact_dossier_month
GROUP BY as_of_month, placement_tier, agency_code;
COMMENT ON VIEW marts.v_recovery_tier IS 'BI view: recovery by placement tier (1 first placement, 2 and 3 re-placements with another agency) and agency, at each month end. Stable contract; see docs/kpi.md.';
COMMENT ON COLUMN marts.v_recovery_tier.as_of_month IS 'Month whose end the position describes (first day).';
COMMENT ON COLUMN marts.v_recovery_tier.placement_tier IS '1 first placement; 2, 3 re-placements of a debtor returned unresolved.';
COMMENT ON COLUMN marts.v_recovery_tier.agency_code IS 'Agency code, e.g. AG01 (core.dim_agency).';
COMMENT ON COLUMN marts.v_recovery_tier.dossiers_count IS 'Dossiers of the tier placed with the agency by the month end.';
COMMENT ON COLUMN marts.v_recovery_tier.assigned_amount IS 'Their assigned amount (MAD).';
COMMENT ON COLUMN marts.v_recovery_tier.recovered_to_date IS 'Attributed to them to the month end, net of reversals (MAD).';
COMMENT ON COLUMN marts.v_recovery_tier.open_amount IS 'Still open with the agency at the month end (MAD).';
COMMENT ON COLUMN marts.v_recovery_tier.recalled_amount IS 'Handed back by recalls by the month end (MAD).';
COMMENT ON COLUMN marts.v_recovery_tier.recovery_rate IS 'recovered_to_date / assigned_amount.';
COMMENT ON COLUMN core.selection_decision.reason_code IS 'Why: SELECTED has TOP_SCORE; EXCLUDED has ALREADY_PLACED, RECALL_COOLING_OFF, MAX_TIER_REACHED (returned unresolved at the last placement tier), INSOLVENT_OR_LIQUIDATION, CEASED_NO_ASSETS, LEGAL_PROCEEDING, HONOURED_PLAN, DISPUTED, BELOW_MINIMUM or TITLE_NEAR_LIMIT (the first that applies, in that order); NOT_SELECTED has QUOTA (ranked below the run''s cutoff), NO_AGENCY_CAPACITY (no agency serving its region had room) or NO_OTHER_AGENCY (a re-placement whose region only its earlier agencies serve).';

-- Stage 6 (continued): one word per concept (docs/glossary.md). Money credited to a dossier is
-- "recovered"; v_agency_month published it as attributed_in_month. The BI views are a contract: the old
-- column stays where it was, the new name is added at the end with the same value.

CREATE OR REPLACE VIEW marts.v_agency_month AS
SELECT agency_code,
       month,
       dossiers_open,
       dossiers_assigned,
       dossiers_recalled,
       assigned_amount,
       open_amount,
       actions_count,
       reported_payments_amount,
       matched_payments_amount,
       attributed_in_month,
       commission_in_month,
       cost_to_collect,
       attributed_in_month AS recovered_in_month
FROM marts.kpi_agency_month;
COMMENT ON VIEW marts.v_agency_month IS 'BI view: activity, collections and commission per agency and calendar month. Stable contract; see docs/kpi.md.';

COMMENT ON COLUMN marts.v_agency_month.agency_code IS 'Agency code, e.g. AG01.';
COMMENT ON COLUMN marts.v_agency_month.month IS 'Calendar month (first day).';
COMMENT ON COLUMN marts.v_agency_month.dossiers_open IS 'Dossiers with the agency at the end of the month (placed, not recalled, not closed).';
COMMENT ON COLUMN marts.v_agency_month.dossiers_assigned IS 'Dossiers placed in the month.';
COMMENT ON COLUMN marts.v_agency_month.dossiers_recalled IS 'Dossiers recalled in the month.';
COMMENT ON COLUMN marts.v_agency_month.assigned_amount IS 'total_due of the dossiers placed in the month (MAD).';
COMMENT ON COLUMN marts.v_agency_month.open_amount IS 'Amount open on the agency''s dossiers at the end of the month (MAD).';
COMMENT ON COLUMN marts.v_agency_month.actions_count IS 'Accepted actions dated in the month.';
COMMENT ON COLUMN marts.v_agency_month.reported_payments_amount IS 'Payments the agency reported, dated in the month (MAD).';
COMMENT ON COLUMN marts.v_agency_month.matched_payments_amount IS 'Of those, confirmed by the fund''s ledger (MAD).';
COMMENT ON COLUMN marts.v_agency_month.attributed_in_month IS 'Old name of recovered_in_month, kept for existing BI queries (same value).';
COMMENT ON COLUMN marts.v_agency_month.commission_in_month IS 'Sum of commission_this_month on the month''s statement (MAD): numerator of cost_to_collect.';
COMMENT ON COLUMN marts.v_agency_month.cost_to_collect IS 'commission_in_month / recovered_in_month.';
COMMENT ON COLUMN marts.v_agency_month.recovered_in_month IS 'Recovered in the month (statement month), net of reversals (MAD): denominator of cost_to_collect.';

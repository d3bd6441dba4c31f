-- Stage 3: an agency can be retired (agencies[].retired_on in the configuration): from that day it is
-- given no new dossier, and the lifecycle refresh recalls the dossiers it holds (FUND_DECISION).

ALTER TABLE core.dim_agency ADD COLUMN retired_on DATE;
COMMENT ON COLUMN core.dim_agency.retired_on IS 'First day the agency no longer works for the fund (configuration agencies[].retired_on): no new dossier from then, and the dossiers it holds are recalled FUND_DECISION at the first refresh on or after it; NULL while under contract.';
COMMENT ON COLUMN core.dim_agency.is_active IS 'False once the agency is no longer in the configuration, or retired (retired_on on or before the month of the selection that last synced it).';
COMMENT ON TABLE core.dim_agency IS 'Recovery agencies under contract, mirrored from the configuration (agencies:) at each selection; an agency removed from the configuration stays with is_active false, a retired one with its retired_on.';

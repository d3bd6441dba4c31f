-- Agencies no longer in the configuration stay in core.dim_agency, inactive.
-- Parameters: updated_at, list of configured agency codes.
UPDATE core.dim_agency
SET is_active = false, updated_at = ?
WHERE is_active
  AND agency_code NOT IN (SELECT unnest(CAST(? AS VARCHAR[])))

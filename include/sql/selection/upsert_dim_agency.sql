-- One configured agency into core.dim_agency (insert or refresh; inactive once retired).
-- Parameters: agency_code, name, regions, monthly_capacity, commission_rate, commission_cap,
-- sftp_conn_id, is_active, retired_on, updated_at.
INSERT INTO core.dim_agency (agency_code, name, regions, monthly_capacity, commission_rate,
                             commission_cap, sftp_conn_id, is_active, retired_on, updated_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (agency_code) DO UPDATE SET
    name = EXCLUDED.name,
    regions = EXCLUDED.regions,
    monthly_capacity = EXCLUDED.monthly_capacity,
    commission_rate = EXCLUDED.commission_rate,
    commission_cap = EXCLUDED.commission_cap,
    sftp_conn_id = EXCLUDED.sftp_conn_id,
    is_active = EXCLUDED.is_active,
    retired_on = EXCLUDED.retired_on,
    updated_at = EXCLUDED.updated_at

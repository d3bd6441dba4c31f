-- One published file; a file republished under the same name replaces its row.
INSERT INTO core.publication_log (
    agency_code, file_name, file_type, period_label, seq, remote_path, sha256, row_count,
    control_total, published_at
) VALUES (?, ?, ?, ?, ?, ?, ?, ?, CAST(? AS DECIMAL(18,2)), ?)
ON CONFLICT (agency_code, file_name) DO UPDATE SET
    file_type = EXCLUDED.file_type,
    period_label = EXCLUDED.period_label,
    seq = EXCLUDED.seq,
    remote_path = EXCLUDED.remote_path,
    sha256 = EXCLUDED.sha256,
    row_count = EXCLUDED.row_count,
    control_total = EXCLUDED.control_total,
    published_at = EXCLUDED.published_at

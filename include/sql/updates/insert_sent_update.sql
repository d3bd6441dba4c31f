-- One update sent. Parameters: agency_code, dossier_id, update_id, field, value, source, observed_date,
-- sent_on, file_name, recorded_at.
INSERT INTO core.dossier_update (agency_code, dossier_id, update_id, field, value, source, observed_date,
                                 sent_on, file_name, recorded_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)

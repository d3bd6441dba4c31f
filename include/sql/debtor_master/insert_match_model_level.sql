-- One field and level of a stored model (params: trained_on, field, level, label, m, u).
INSERT INTO core.match_model_level (trained_on, field, level, label, m, u) VALUES (?, ?, ?, ?, ?, ?)

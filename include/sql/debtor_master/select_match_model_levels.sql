-- m and u of every field and level of one stored model (param: trained_on).
SELECT field, level, label, m, u FROM core.match_model_level WHERE trained_on = ? ORDER BY field, level

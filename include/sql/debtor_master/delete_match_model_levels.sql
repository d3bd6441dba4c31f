-- Remove the levels of the model trained on a day (param: trained_on).
DELETE FROM core.match_model_level WHERE trained_on = ?

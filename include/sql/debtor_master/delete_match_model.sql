-- Remove the model trained on a day before it is stored again (param: trained_on); its levels first
-- (delete_match_model_levels).
DELETE FROM core.match_model WHERE trained_on = ?

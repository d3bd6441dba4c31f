-- Remove the attribution rows a group reconciliation rewrites: some dossiers' rows dated up to a run
-- date. Parameters: run date (inclusive), dossier ids.
DELETE FROM core.attribution
WHERE payment_date <= ?
  AND dossier_id IN (SELECT unnest(CAST(? AS VARCHAR[])))

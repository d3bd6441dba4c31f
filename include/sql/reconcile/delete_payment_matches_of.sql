-- Remove the matches a group reconciliation rewrites: those of the agency payments reported against
-- some dossiers, and those of agency payments no longer held. Parameter: dossier ids.
DELETE FROM core.payment_match
WHERE NOT EXISTS (
    SELECT 1 FROM core.agency_payment AS a
    WHERE a.agency_code = core.payment_match.agency_code
      AND a.payment_id = core.payment_match.payment_id
      AND a.dossier_id NOT IN (SELECT unnest(CAST(? AS VARCHAR[]))))

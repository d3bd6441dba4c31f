-- Files already published for one agency, file type family and period label (to choose a SEQ).
-- Parameters: agency_code, period_label, list of file types.
SELECT seq, file_type, file_name, sha256
FROM core.publication_log
WHERE agency_code = ?
  AND period_label = ?
  AND file_type IN (SELECT unnest(CAST(? AS VARCHAR[])))
  AND seq IS NOT NULL

-- Forgets an earlier merge of the same snapshot (a re-published day). Params: table name, snapshot date.
DELETE FROM meta.staging_load WHERE table_name = ? AND snapshot_date = ?

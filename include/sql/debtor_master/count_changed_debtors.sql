-- How many loaded golden records change an existing debtor (or revive a MERGED one); no parameters.
-- Composed part "differs": d.<column> IS DISTINCT FROM l.<column>, joined by OR, per golden column.
SELECT count(*) FROM core.load_debtor l JOIN core.dim_debtor d USING (debtor_id)
WHERE d.status = 'MERGED' OR {differs}

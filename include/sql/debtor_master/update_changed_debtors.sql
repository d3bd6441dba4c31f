-- Write the changed golden records into core.dim_debtor, ACTIVE again (param: updated_at).
-- Composed parts: "sets", <column> = l.<column> per golden column; "differs",
-- core.dim_debtor.<column> IS DISTINCT FROM l.<column>, joined by OR.
UPDATE core.dim_debtor SET {sets}, status = 'ACTIVE', merged_into_debtor_id = NULL,
updated_at = ? FROM core.load_debtor l WHERE core.dim_debtor.debtor_id = l.debtor_id AND (
{differs} OR core.dim_debtor.status = 'MERGED')

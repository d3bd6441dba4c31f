-- Empty a table the build reloads whole (core.load_debtor, core.load_bridge,
-- core.debtor_source_golden); no parameters. Composed part "table": its schema-qualified name.
DELETE FROM {table}

-- The versions of the migrations applied, in order (for the data dictionary's header).
SELECT version FROM meta.schema_migrations ORDER BY 1

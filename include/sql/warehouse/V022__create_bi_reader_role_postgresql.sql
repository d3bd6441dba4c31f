-- BI users read the marts, and only the marts, through one read-only group role: recouvra_bi (NOLOGIN).
-- PostgreSQL only (the _postgresql suffix): the embedded DuckDB has no roles, it records this version
-- and runs nothing; its BI users read the Parquet export of kpi_load instead (docs/kpi.md).
--
-- Granted: CONNECT on this database, USAGE on schema marts, SELECT on every mart table and BI view,
-- and by default SELECT on the tables and views the migrating user creates in marts later (a later
-- migration that drops and recreates a view keeps it readable). Nothing else: no INSERT, UPDATE,
-- DELETE, TRUNCATE or CREATE anywhere, no USAGE on staging, core or meta.
--
-- No password here: the operator creates each BI user as a login member of the group, e.g.
--   CREATE ROLE alice LOGIN IN ROLE recouvra_bi;  then  \password alice  (psql; docs/kpi.md)
--
-- Roles belong to the cluster, not to one database: the role may exist already (another warehouse
-- in the same cluster, or created beforehand by an administrator when the migrating user may not
-- create roles), and two databases may be migrated at once; both cases leave it as it is. The
-- blocks are single-quoted strings (the migration runner splits statements on ';' outside quotes).
DO '
BEGIN
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = ''recouvra_bi'') THEN
        CREATE ROLE recouvra_bi NOLOGIN;
        COMMENT ON ROLE recouvra_bi IS ''Read-only BI access to the warehouse marts (tables and v_* views); members are login roles the operator creates. See docs/kpi.md.'';
    END IF;
EXCEPTION
    WHEN duplicate_object OR unique_violation THEN
        NULL;
END';

DO '
BEGIN
    EXECUTE format(''GRANT CONNECT ON DATABASE %I TO recouvra_bi'', current_database());
END';

GRANT USAGE ON SCHEMA marts TO recouvra_bi;
GRANT SELECT ON ALL TABLES IN SCHEMA marts TO recouvra_bi;
ALTER DEFAULT PRIVILEGES IN SCHEMA marts GRANT SELECT ON TABLES TO recouvra_bi;

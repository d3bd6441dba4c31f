"""BI access to the PostgreSQL warehouse: a login member of the read-only role recouvra_bi (migration
V022), created as docs/kpi.md tells the operator, reads every mart table and BI view, nothing else, and
can write, create or drop nothing; marts created later stay readable; a second warehouse in the same
cluster, migrated by an owner who may not create roles, gets the same access."""

from __future__ import annotations

import datetime as dt
import importlib.util
import secrets
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType

import psycopg
import pytest
from psycopg import sql
from sqlalchemy.engine import make_url

from recouvra.errors import WarehouseError
from recouvra.kpi import load_kpi_months
from recouvra.warehouse import connect, discover_migrations, migrate

pytestmark = pytest.mark.postgres

VIEWS = ("v_agency_effect", "v_agency_league", "v_agency_month", "v_cohort_outcome", "v_portfolio_coverage",
         "v_recovered_by_kind", "v_recovery_tier", "v_recovery_vintage", "v_score_calibration")
MART_TABLES = ("fact_dossier_month", "kpi_agency_effect", "kpi_agency_league", "kpi_agency_month",
               "kpi_cohort_month", "kpi_cohort_outcome", "kpi_portfolio_month", "kpi_recovered_kind",
               "kpi_recovery_vintage", "kpi_score_calibration")
NOW = dt.datetime(2026, 4, 2, 6, 0)


def _kpi_cases() -> ModuleType:
    """tests/unit/test_kpi.py, whose hand-built core this test loads (tests/ is not a package)."""
    path = Path(__file__).resolve().parents[1] / "unit" / "test_kpi.py"
    spec = importlib.util.spec_from_file_location("kpi_unit_cases_for_bi_postgres", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _admin(url: str) -> psycopg.Connection:
    u = make_url(url)
    return psycopg.connect(host=u.host or "127.0.0.1", port=u.port or 5432, user=u.username,
                           password=u.password, dbname=u.database, autocommit=True)


def _as(url: str, user: str, password: str, database: str | None = None) -> str:
    u = make_url(url).set(username=user, password=password)
    return (u.set(database=database) if database else u).render_as_string(hide_password=False)


@contextmanager
def login_role(admin_url: str, *, member_of: str | None = "recouvra_bi") -> Iterator[tuple[str, str]]:
    """A login role as the operator creates one (docs/kpi.md), dropped afterwards: (name, password)."""
    name, password = f"bi_test_{uuid.uuid4().hex[:10]}", secrets.token_urlsafe(16)
    statement = sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(
        sql.Identifier(name), sql.Literal(password))
    if member_of:
        statement += sql.SQL(" IN ROLE {}").format(sql.Identifier(member_of))
    with _admin(admin_url) as conn:
        conn.execute(statement)
    try:
        yield name, password
    finally:
        with _admin(admin_url) as conn:
            conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(name)))


@pytest.fixture()
def loaded(pg_url: str) -> str:
    """A migrated PostgreSQL warehouse with the KPIs of January to March 2026 loaded."""
    with connect(pg_url) as wh:
        _kpi_cases().seed(wh)
        load_kpi_months(wh, dt.date(2026, 1, 1), dt.date(2026, 3, 1), computed_at=NOW)
    return pg_url


@pytest.fixture()
def bi_url(loaded: str) -> Iterator[str]:
    """The warehouse's URL for a BI user: a login member of recouvra_bi."""
    with login_role(loaded) as (name, password):
        yield _as(loaded, name, password)


def rows(url: str, relation: str) -> list[tuple[object, ...]]:
    with connect(url) as wh:
        return sorted(wh.query(f"SELECT * FROM {relation}"), key=repr)


def test_the_group_role_cannot_log_in_or_do_more_than_read(loaded: str) -> None:
    with _admin(loaded) as conn:
        attributes = conn.execute(
            "SELECT rolcanlogin, rolsuper, rolcreaterole, rolcreatedb, rolbypassrls "
            "FROM pg_roles WHERE rolname = 'recouvra_bi'").fetchall()
    assert attributes == [(False, False, False, False, False)]
    with pytest.raises(psycopg.OperationalError, match="not permitted to log in"):
        _admin(_as(loaded, "recouvra_bi", ""))


def test_a_bi_user_reads_every_mart_table_and_view(loaded: str, bi_url: str) -> None:
    for view in VIEWS:
        got = rows(bi_url, f"marts.{view}")
        assert got, f"marts.{view} is empty"
        assert got == rows(loaded, f"marts.{view}"), view
    for table in MART_TABLES:
        assert rows(bi_url, f"marts.{table}") == rows(loaded, f"marts.{table}"), table


#: What a BI user may not do, each refused with "permission denied" (SQLSTATE 42501).
FORBIDDEN = (
    "INSERT INTO marts.kpi_agency_month SELECT * FROM marts.kpi_agency_month",
    "UPDATE marts.kpi_agency_league SET league_rank = 0",
    "DELETE FROM marts.kpi_recovery_vintage",
    "TRUNCATE marts.fact_dossier_month",
    "CREATE TABLE marts.mine (id INTEGER)",
    "CREATE VIEW marts.v_mine AS SELECT 1 AS one",
    "CREATE TABLE public.mine (id INTEGER)",
    "CREATE SCHEMA mine",
    "DROP VIEW marts.v_agency_league",
    "ALTER TABLE marts.kpi_agency_league ADD COLUMN mine INTEGER",
    "SELECT * FROM core.dossier",
    "SELECT * FROM core.commission_statement",
    "SELECT * FROM staging.employers",
    "SELECT * FROM meta.schema_migrations",
)


def test_a_bi_user_cannot_write_create_drop_or_read_beyond_the_marts(loaded: str, bi_url: str) -> None:
    before = {t: rows(loaded, f"marts.{t}") for t in MART_TABLES}
    allowed = []
    with connect(bi_url) as wh:
        for statement in FORBIDDEN:
            try:
                wh.execute(statement)
            except WarehouseError as exc:
                assert isinstance(exc.__cause__, psycopg.errors.InsufficientPrivilege), (statement, exc)
            else:
                allowed.append(statement)
    assert allowed == []
    assert {t: rows(loaded, f"marts.{t}") for t in MART_TABLES} == before
    with connect(loaded) as wh:
        assert wh.query("SELECT count(*) FROM information_schema.tables WHERE table_name = 'mine' "
                        "OR table_name = 'v_mine'") == [(0,)]


def test_marts_created_by_a_later_migration_are_readable_without_a_new_grant(
    loaded: str, bi_url: str
) -> None:
    # What a later migration does as the migrating user: a new mart table and view, and a BI view
    # dropped and created again (as V021 did): the default privileges of V022 cover them.
    with connect(loaded) as wh, wh.transaction():
        wh.executescript(
            "CREATE TABLE marts.kpi_future (month DATE NOT NULL, n INTEGER NOT NULL);"
            "INSERT INTO marts.kpi_future VALUES (DATE '2026-03-01', 7);"
            "CREATE VIEW marts.v_future AS SELECT month, n FROM marts.kpi_future;"
            "DROP VIEW marts.v_agency_month;"
            "CREATE VIEW marts.v_agency_month AS SELECT * FROM marts.kpi_agency_month;"
        )
    assert rows(bi_url, "marts.v_future") == rows(bi_url, "marts.kpi_future") == [(dt.date(2026, 3, 1), 7)]
    assert rows(bi_url, "marts.v_agency_month") == rows(loaded, "marts.kpi_agency_month")


def test_a_second_warehouse_whose_owner_may_not_create_roles_gets_the_same_access(
    loaded: str, pg_admin_url: str
) -> None:
    """The role is the cluster's: the first warehouse created it (fixture ``loaded``); migrating
    another database, as its owner without CREATEROLE, reuses it and grants its own marts."""
    database = f"recouvra_test_{uuid.uuid4().hex[:12]}"
    with login_role(pg_admin_url, member_of=None) as (owner, owner_password):
        with _admin(pg_admin_url) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {} OWNER {}").format(
                sql.Identifier(database), sql.Identifier(owner)))
        try:
            owner_url = _as(pg_admin_url, owner, owner_password, database)
            assert migrate(owner_url) == [m.version for m in discover_migrations()]
            with _admin(pg_admin_url) as conn:
                assert conn.execute("SELECT count(*) FROM pg_roles WHERE rolname = 'recouvra_bi'"
                                    ).fetchone() == (1,)
            with login_role(pg_admin_url) as (name, password):
                reader = _as(pg_admin_url, name, password, database)
                assert rows(reader, "marts.v_agency_league") == []  # readable, nothing loaded yet
                with pytest.raises(WarehouseError, match="permission denied"):
                    rows(reader, "core.dossier")
        finally:
            with _admin(pg_admin_url) as conn:
                conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                    sql.Identifier(database)))

"""Shared fixtures: real services, or a clear skip (a failure under CI=true) when one is missing."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
PG_ADMIN_URL = os.environ.get(
    "RECOUVRA_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


def missing_component(what: str, how: str) -> None:
    """Skip locally with instructions; under CI=true a missing component is a failure, never a skip."""
    message = f"{what} is not available: {how}"
    if IN_CI:
        pytest.fail(f"CI=true and {message}", pytrace=False)
    pytest.skip(message)


def _pg_connect(url: str):  # type: ignore[no-untyped-def]
    import psycopg
    from sqlalchemy.engine import make_url

    u = make_url(url)
    return psycopg.connect(
        host=u.host or "127.0.0.1",
        port=u.port or 5432,
        user=u.username or "postgres",
        password=u.password,
        dbname=u.database or "postgres",
        autocommit=True,
        connect_timeout=3,
    )


@pytest.fixture(scope="session")
def pg_admin_url() -> str:
    """URL of a reachable PostgreSQL server (admin database), or skip/fail with how to get one."""
    try:
        with _pg_connect(PG_ADMIN_URL) as conn:
            conn.execute("SELECT 1")
    except Exception as exc:
        missing_component(
            f"PostgreSQL at {PG_ADMIN_URL} ({type(exc).__name__}: {str(exc).strip()[:120]})",
            "start one (`sudo pg_ctlcluster 15 main start` on Debian, or `make pg-start`) or point "
            "RECOUVRA_TEST_PG_URL at one",
        )
    return PG_ADMIN_URL


@pytest.fixture(scope="session")
def psql() -> str:
    """Path of PostgreSQL's own client, or skip/fail with how to get it."""
    import shutil

    exe = shutil.which("psql")
    if exe is None:
        missing_component("psql (PostgreSQL's client)", "apt-get install postgresql-client")
    assert exe is not None
    return exe


@pytest.fixture()
def pg_url(pg_admin_url: str) -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test, dropped afterwards."""
    from sqlalchemy.engine import make_url

    name = f"recouvra_test_{uuid.uuid4().hex[:12]}"
    with _pg_connect(pg_admin_url) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = make_url(pg_admin_url).set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        with _pg_connect(pg_admin_url) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


#: ``migrations_before(name)``: a new folder holding the project's migrations whose file names sort
#: before ``name`` (a version such as ``"V018"``, or a migration's file name).
MigrationsBefore = Callable[[str], Path]


@pytest.fixture()
def migrations_before(tmp_path: Path) -> MigrationsBefore:
    """The project's migrations up to, not including, one: a warehouse migrated from it is one from
    before that migration, which a test then applies to rows written in the old shape."""

    def make(name: str) -> Path:
        from recouvra.warehouse import migrations_dir

        folder = tmp_path / f"migrations-before-{name[:4]}"
        folder.mkdir()
        for path in migrations_dir().glob("V*.sql"):
            if path.name < name:
                shutil.copy(path, folder / path.name)
        return folder

    return make


#: ``staged_before_v034(url)``: the warehouse's columns and its staging rows, per table.
StagedBeforeV034 = Callable[[str], tuple[list, dict[str, list[tuple[object, ...]]]]]


@pytest.fixture()
def staged_before_v034(migrations_before: MigrationsBefore) -> StagedBeforeV034:
    """Migrate the warehouse at a URL up to V033 (the staging tables with their primary keys) and put two
    rows in every staging table; return its columns (``list_columns``) and those rows, read back
    ``ORDER BY 1, 2``. V034's and V035's tests migrate it on (DuckDB in tests/unit, PostgreSQL in
    tests/integration)."""

    def make(url: str) -> tuple[list, dict[str, list[tuple[object, ...]]]]:
        from recouvra.lake import TABLES
        from recouvra.warehouse import connect, list_columns, migrate

        migrate(url, migrations_before("V034"))
        value = {"VARCHAR": "'{n}'", "BIGINT": "{n}", "INTEGER": "{n}", "DATE": "DATE '2026-11-0{n}'",
                 "TIMESTAMP": "TIMESTAMP '2026-11-0{n} 09:00:00'"}
        with connect(url) as wh:
            columns = list_columns(wh)
            for table in TABLES:
                types = [c.data_type for c in columns if (c.schema, c.table) == ("staging", table)]
                for n in (1, 2):
                    wh.execute(f"INSERT INTO staging.{table} VALUES "
                               f"({', '.join(value[t].format(n=n) for t in types)})")
            rows = {t: wh.query(f"SELECT * FROM staging.{t} ORDER BY 1, 2") for t in TABLES}
        return columns, rows

    return make


@pytest.fixture()
def attribution_before_v037(migrations_before: MigrationsBefore) -> Callable[[str], list[tuple[object, ...]]]:
    """Migrate the warehouse at a URL up to V036 and put in three attribution rows (one entry of two
    dossiers, one row in each of two months) and kinds for two of them; return the rows ``ORDER BY 1, 2``.
    V037's tests migrate it on (DuckDB in tests/unit, PostgreSQL in tests/integration)."""

    def make(url: str) -> list[tuple[object, ...]]:
        from recouvra.warehouse import connect, migrate

        migrate(url, migrations_before("V037"))
        with connect(url) as wh:
            wh.execute("INSERT INTO core.attribution VALUES "
                       "(7, 'D1', 'AG01', 100.00, DATE '2026-08-29', DATE '2024-08-01', DATE '2026-08-01', "
                       "TIMESTAMP '2026-09-01 09:00:00'), "
                       "(7, 'D2', 'AG02', -40.00, DATE '2026-08-29', DATE '2024-08-01', DATE '2026-09-01', "
                       "TIMESTAMP '2026-09-02 09:00:00'), "
                       "(8, 'D1', 'AG01', 5.00, DATE '2026-08-30', DATE '2024-09-01', DATE '2026-08-01', "
                       "TIMESTAMP '2026-09-01 09:00:00')")
            wh.execute("INSERT INTO core.attribution_kind VALUES "
                       "(7, 'D1', 'PRINCIPAL', 60.00, DATE '2026-08-29'), "
                       "(7, 'D1', 'SURCHARGE', 40.00, DATE '2026-08-29'), "
                       "(7, 'D2', 'PRINCIPAL', -40.00, DATE '2026-08-29')")
            return wh.query("SELECT * FROM core.attribution ORDER BY 1, 2")

    return make


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Every test carries the marker of its folder (unit, dags, integration)."""
    for item in items:
        folder = Path(str(item.fspath)).relative_to(ROOT / "tests").parts[0]
        if folder in {"unit", "dags", "integration"}:
            item.add_marker(getattr(pytest.mark, folder))

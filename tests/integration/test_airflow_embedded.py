"""The embedded Airflow runs the real DAGs: `airflow db migrate`, then `airflow dags test`.

Runs Airflow as the demo does (scripts/env.sh, SQLite metadata) in a private AIRFLOW_HOME, against an
embedded DuckDB warehouse, and against PostgreSQL chosen only by an Airflow connection (the production
form): the outcome checked is the warehouse's tables, not that a command returned.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from recouvra.warehouse import connect

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.airflow, pytest.mark.slow]


def _airflow(args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "-c", f"source {ROOT}/scripts/env.sh && airflow {args}"],
        env=env, cwd=cwd, capture_output=True, text=True, timeout=600, check=False,
    )


@pytest.fixture(scope="module")
def airflow_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    home = tmp_path_factory.mktemp("airflow-home")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "RECOUVRA__"))}
    env["AIRFLOW_HOME"] = str(home)
    migrated = _airflow("db migrate", env, home)
    assert migrated.returncode == 0, migrated.stdout[-3000:] + migrated.stderr[-3000:]
    return env


def _tables(url: str) -> set[str]:
    with connect(url) as wh:
        rows = wh.query(
            "SELECT table_schema || '.' || table_name FROM information_schema.tables "
            "WHERE table_schema IN ('staging', 'core', 'marts', 'meta')"
        )
    return {r[0] for r in rows}


def test_warehouse_setup_runs_on_embedded_duckdb(airflow_env: dict[str, str], tmp_path: Path) -> None:
    warehouse = tmp_path / "warehouse.duckdb"
    env = {**airflow_env, "RECOUVRA__STORAGE__WAREHOUSE_URL": f"duckdb:///{warehouse}"}
    run = _airflow("dags test warehouse_setup 2026-11-01", env, tmp_path)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    tables = _tables(f"duckdb:///{warehouse}")
    assert "meta.schema_migrations" in tables
    assert {"core.dim_debtor", "core.dossier"} <= tables
    # A second run applies nothing and leaves the same tables.
    again = _airflow("dags test warehouse_setup 2026-11-02", env, tmp_path)
    assert again.returncode == 0, again.stdout[-3000:] + again.stderr[-3000:]
    assert _tables(f"duckdb:///{warehouse}") == tables


@pytest.mark.postgres
def test_warehouse_setup_uses_the_postgres_connection(
    airflow_env: dict[str, str], pg_url: str, tmp_path: Path
) -> None:
    # Production form: the warehouse comes from the Airflow connection, nothing else changes.
    conn_uri = pg_url.replace("postgresql+psycopg://", "postgresql://")
    env = {**airflow_env, "AIRFLOW_CONN_RECOUVRA_WAREHOUSE": conn_uri,
           "RECOUVRA__STORAGE__WAREHOUSE_URL": f"duckdb:///{tmp_path}/unused.duckdb"}
    run = _airflow("dags test warehouse_setup 2026-11-01", env, tmp_path)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    tables = _tables(pg_url)
    assert {"meta.schema_migrations", "core.dim_debtor", "core.dossier"} <= tables
    assert not (tmp_path / "unused.duckdb").exists(), "the embedded default must not be touched"

"""The stack's start in one process: Airflow's metadata database migrated (a new SQLite file), the
project's pools created with their configured slots, the connections checked; a second start changes
nothing; a missing connection stops the start after the database is ready, naming its variable."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from recouvra.operations import POOLS

pytestmark = [pytest.mark.unit]

ROOT = Path(__file__).resolve().parents[3]


def _bootstrap(
    tmp_path: Path, *args: str, extra_env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "RECOUVRA__"))}
    env.update(
        {
            "AIRFLOW_HOME": str(tmp_path / "home"),
            "RECOUVRA_DATA_DIR": str(tmp_path / "data"),
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{tmp_path / 'airflow.db'}",
            "PYTHONPATH": str(ROOT / "include"),
            **(extra_env or {}),
        }
    )
    return subprocess.run(
        [sys.executable, "-m", "recouvra.airflow_adapter.bootstrap", "--log", str(tmp_path / "migrate.log"),
         *args],
        env=env, capture_output=True, text=True, timeout=300, check=False, cwd=ROOT,
    )


def _pools(db: Path) -> dict[str, tuple[int, str]]:
    with sqlite3.connect(db) as conn:
        return {name: (slots, desc) for name, slots, desc in conn.execute(
            "SELECT pool, slots, description FROM slot_pool")}


def test_a_new_database_is_migrated_and_gets_the_pools_and_a_second_start_changes_nothing(
    tmp_path: Path,
) -> None:
    first = _bootstrap(tmp_path, "--connections", "none")
    assert first.returncode == 0, first.stderr + (tmp_path / "migrate.log").read_text()
    assert "metadata database migrated; pools: sftp_agencies (4), warehouse_writer (1)" in first.stdout
    assert "connections: not checked" in first.stdout
    assert (tmp_path / "migrate.log").exists(), "the migration's output goes to its log, not the terminal"
    with sqlite3.connect(tmp_path / "airflow.db") as conn:
        assert conn.execute("SELECT version_num FROM alembic_version").fetchone()[0], "at a head revision"
    pools = _pools(tmp_path / "airflow.db")
    for name, (slots, desc) in POOLS.items():
        assert pools[name] == (slots, desc)
    assert "default_pool" in pools, "Airflow's own pool, as `airflow db migrate` makes it"

    second = _bootstrap(tmp_path, "--connections", "none")
    assert second.returncode == 0, second.stderr
    assert _pools(tmp_path / "airflow.db") == pools


def test_a_missing_connection_stops_the_start_after_the_database_is_ready(tmp_path: Path) -> None:
    run = _bootstrap(tmp_path, "--connections", "embedded")
    assert run.returncode == 1
    assert "connections (embedded):" in run.stdout
    assert "warehouse: recouvra_warehouse not defined, the embedded default duckdb:///" in run.stdout
    assert ("error: SFTP of agency AG01: connection sftp_ag01 is not defined: set AIRFLOW_CONN_SFTP_AG01"
            in run.stderr)
    assert set(POOLS) <= set(_pools(tmp_path / "airflow.db"))


def test_a_database_that_cannot_be_migrated_exits_3_with_the_reason(tmp_path: Path) -> None:
    nowhere = tmp_path / "no" / "such" / "dir" / "airflow.db"
    run = _bootstrap(tmp_path, "--connections", "none",
                     extra_env={"AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{nowhere}"})
    assert run.returncode == 3
    assert "error: preparing Airflow's metadata database:" in run.stderr

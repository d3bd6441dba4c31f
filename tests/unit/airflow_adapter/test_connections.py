"""The stack's connection check at start: each connection found as Airflow finds it (here from the
environment), printed without its password; a missing one fails naming the variable to set."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.unit]

ROOT = Path(__file__).resolve().parents[3]


def _check(tmp_path: Path, extra_env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "RECOUVRA__"))}
    env.update(
        {
            "AIRFLOW_HOME": str(tmp_path / "home"),
            "RECOUVRA_DATA_DIR": str(tmp_path / "data"),
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{tmp_path / 'none.db'}",
            "PYTHONPATH": str(ROOT / "include"),
            **extra_env,
        }
    )
    return subprocess.run(
        [sys.executable, "-m", "recouvra.airflow_adapter.connections", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=ROOT,
    )


def sftp(agency: str) -> str:
    return json.dumps(
        {
            "conn_type": "sftp",
            "host": "127.0.0.1",
            "port": 2222,
            "login": f"fund-{agency}",
            "extra": {"host_key": "ssh-ed25519 AAAA"},
        }
    )


def test_every_connection_is_found_and_shown_without_password(tmp_path: Path) -> None:
    env = {
        "AIRFLOW_CONN_RECOUVRA_SOURCE": "postgresql://reader:s3cret@127.0.0.1:5432/h_e_source",
        "AIRFLOW_CONN_RECOUVRA_WAREHOUSE": "postgresql://writer:s3cret@127.0.0.1:5432/h_e_warehouse",
        **{f"AIRFLOW_CONN_SFTP_AG0{i}": sftp(f"ag0{i}") for i in range(1, 5)},
    }
    run = _check(tmp_path, env)
    assert run.returncode == 0, run.stderr
    assert (
        "source (the fund's database): recouvra_source = postgres://reader@127.0.0.1:5432/h_e_source "
        "(from AIRFLOW_CONN_RECOUVRA_SOURCE)" in run.stdout
    )
    assert "SFTP of agency AG04: sftp_ag04 = sftp://fund-ag04@127.0.0.1:2222" in run.stdout
    assert "s3cret" not in run.stdout + run.stderr


def test_a_missing_connection_stops_the_start_naming_its_variable(tmp_path: Path) -> None:
    run = _check(tmp_path, {"AIRFLOW_CONN_SFTP_AG01": sftp("ag01")}, "--embedded-databases")
    assert run.returncode == 1
    assert "warehouse: recouvra_warehouse not defined, the embedded default duckdb:///" in run.stdout
    assert (
        "error: SFTP of agency AG02: connection sftp_ag02 is not defined: set AIRFLOW_CONN_SFTP_AG02"
        in run.stderr
    )

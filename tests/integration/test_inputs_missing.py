"""An operator's first day is safe: a run for a month whose data are not there does nothing and says
so. Through Airflow itself (``airflow dags test``, private AIRFLOW_HOME, SQLite metadata, an embedded
warehouse migrated but empty): each DAG run for December 2026, which nobody extracted, ends with
``check_inputs`` saying what is missing and every later task skipped; no file in the outbox, no asset
event (so no DAG downstream runs), no row written."""

from __future__ import annotations

import os
import sqlite3
import subprocess
from pathlib import Path

import pytest

from recouvra.warehouse import connect

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.airflow, pytest.mark.slow]

# The instants an unpaused DAG or a trigger without a logical date would give them in December.
RUNS = (
    (
        "assignment_monthly",
        "2026-12-01T06:00:00+01:00",
        "assignment_monthly 2026-12: nothing done, inputs missing: the debtor master of 2026-12-01 is not "
        "built",
    ),
    ("commission_monthly", "2026-12-02T08:00:00+01:00", "commission_monthly 2026-11: nothing done"),
    ("kpi_load", "2026-12-03T09:00:00+01:00", "kpi_load 2026-11: nothing done"),
    (
        "debtor_master",
        "2026-12-01T02:00:00+01:00",
        "debtor_master 2026-12-01: nothing done, inputs missing: no extraction of 2026-12-01",
    ),
)


def test_runs_for_a_month_nobody_extracted_do_nothing_and_say_so(tmp_path: Path) -> None:
    home, data = tmp_path / "airflow-home", tmp_path / "data"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "RECOUVRA__"))}
    path = os.pathsep.join(p for p in (str(ROOT / "include"), env.get("PYTHONPATH")) if p)
    env.update({"AIRFLOW_HOME": str(home), "RECOUVRA_DATA_DIR": str(data), "PYTHONPATH": path})

    def run(command: str) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            ["bash", "-c", f"source {ROOT}/scripts/env.sh && {command}"],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        assert done.returncode == 0, f"{command}:\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}"
        return done

    run("airflow db migrate")
    run("recouvra warehouse migrate")
    for dag_id, instant, line in RUNS:
        done = run(f"airflow dags test {dag_id} {instant}")
        assert line in done.stdout + done.stderr, (done.stdout + done.stderr)[-4000:]
        with sqlite3.connect(home / "airflow.db") as db:
            states = dict(db.execute("SELECT task_id, state FROM task_instance WHERE dag_id = ?", (dag_id,)))
        assert states.pop("check_inputs") == "success", states
        assert states and set(states.values()) == {"skipped"}, states

    with sqlite3.connect(home / "airflow.db") as db:
        assert db.execute("SELECT count(*) FROM asset_event").fetchone() == (0,)
    outbox = data / "outbox"
    assert not outbox.exists() or not any(p.is_file() for p in outbox.rglob("*"))
    with connect(f"duckdb:///{data / 'warehouse.duckdb'}") as wh:
        written = wh.query(
            "SELECT (SELECT count(*) FROM core.dossier) + (SELECT count(*) FROM "
            "core.selection_run) + (SELECT count(*) FROM core.commission_statement) + "
            "(SELECT count(*) FROM marts.fact_dossier_month) + (SELECT count(*) FROM "
            "core.dim_debtor)"
        )
    assert written == [(0,)]

"""Asset events through Airflow itself (``airflow dags test``, private AIRFLOW_HOME, SQLite metadata):
the emitting tasks of recouvra.airflow_adapter.assets record one event with its extras when something
was produced, and none, the task skipped, when nothing was; a reconciliation of the 1st closes the
month before. What Airflow stored is read back from its metadata database."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.airflow, pytest.mark.slow]

PROBE_DAG = '''
"""
### assets_probe

Emitting tasks as the pipeline's DAGs use them, on made-up results.
"""
from __future__ import annotations

from airflow.sdk import dag, task

from recouvra.airflow_adapter import DEFAULT_ARGS, START_DATE, run_date
from recouvra.airflow_adapter.assets import (ATTRIBUTION, RETURN_FILES, SOURCE_SNAPSHOTS, emit,
                                             emit_month_close)


@dag(schedule=None, start_date=START_DATE, catchup=False, tags=["test"], default_args=DEFAULT_ARGS,
     doc_md=__doc__)
def assets_probe() -> None:
    @task(outlets=[SOURCE_SNAPSHOTS])
    def report() -> dict:
        published = {"tables": {"employers": {"rows": 12, "kept": False},
                                "titles": {"rows": 0, "kept": False}}}
        return emit(SOURCE_SNAPSHOTS, run_date().month, published)

    @task(outlets=[RETURN_FILES])
    def idle_hour() -> dict:
        return emit(RETURN_FILES, run_date().month, [])

    @task(outlets=[ATTRIBUTION])
    def close_month() -> dict:
        return emit_month_close({"attributions": 7})

    report()
    idle_hour()
    close_month()


assets_probe()
'''


def test_an_event_only_when_something_was_produced_with_its_extras(tmp_path: Path) -> None:
    dags = tmp_path / "dags"
    dags.mkdir()
    (dags / "assets_probe.py").write_text(PROBE_DAG)
    home = tmp_path / "airflow-home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "RECOUVRA__"))}
    env.update({"AIRFLOW_HOME": str(home), "AIRFLOW__CORE__DAGS_FOLDER": str(dags),
                "RECOUVRA__STORAGE__LAKE_DIR": str(tmp_path / "data" / "lake")})

    def airflow(args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["bash", "-c", f"source {ROOT}/scripts/env.sh && airflow {args}"],
                              env=env, cwd=tmp_path, capture_output=True, text=True, timeout=600,
                              check=False)

    migrated = airflow("db migrate")
    assert migrated.returncode == 0, migrated.stdout[-3000:] + migrated.stderr[-3000:]
    # the demo's instant of the 1st's extraction, Casablanca time: the reconciliation of that day
    run = airflow("dags test assets_probe 2026-08-01T02:00:00+01:00")
    out = run.stdout[-4000:] + run.stderr[-4000:]
    assert run.returncode == 0, out

    with sqlite3.connect(home / "airflow.db") as db:
        events = {name: json.loads(extra) for name, extra in db.execute(
            "SELECT a.name, e.extra FROM asset_event AS e JOIN asset AS a ON a.id = e.asset_id")}
        states = dict(db.execute("SELECT task_id, state FROM task_instance WHERE dag_id = 'assets_probe'"))
    assert states == {"report": "success", "idle_hour": "skipped", "close_month": "success"}, out
    assert events == {
        "source_snapshots": {"month": "2026-08", "rows": 12, "files": 2,
                             "logical_date": "2026-08-01T02:00:00+01:00"},
        # the month before is closed: what commission_monthly (through the recalls) will state
        "attribution": {"month": "2026-07", "rows": 7, "files": 0,
                        "logical_date": "2026-08-01T02:00:00+01:00"},
    }

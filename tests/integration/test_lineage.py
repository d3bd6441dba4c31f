"""Lineage through Airflow itself: the OpenLineage provider, configured by scripts/env.sh, writes each
task's inputs and outputs to ``<data>/lineage/events.jsonl``; read back, the events of one month draw
the chain source → lake → warehouse → marts → files; and lineage that cannot be written fails no task.

The run is ``airflow dags test`` of a probe DAG that mirrors the pipeline's DAGs: one no-op task per
task of theirs that declares lineage, with the very inlets and outlets it declares (read from the real
DAGs by a DagBag), so the events are those the provider emits for the pipeline, without the hours of
data a real month needs."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from recouvra.airflow_adapter.lineage import FACET_KEY, month_chain

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.airflow, pytest.mark.slow]

DECLARED = """
import json, sys
from airflow.dag_processing.dagbag import DagBag
bag = DagBag(dag_folder=sys.argv[1])
assert not bag.import_errors, bag.import_errors
print(json.dumps({f"{d.dag_id}__{t.task_id}": [[a.uri for a in t.inlets], [a.uri for a in t.outlets]]
                  for d in bag.dags.values() for t in d.tasks if t.inlets or t.outlets}))
"""

PROBE_DAG = '''
"""
### lineage_probe

The pipeline's tasks that declare lineage, as no-ops with the same inlets and outlets.
"""
from __future__ import annotations

from airflow.sdk import dag, task

from recouvra.airflow_adapter import DEFAULT_ARGS, START_DATE
from recouvra.airflow_adapter.assets import ASSETS, SOURCE_TABLES

BY_URI = {{a.uri: a for a in (*ASSETS, *SOURCE_TABLES)}}
DECLARED = {declared!r}


@dag(schedule=None, start_date=START_DATE, catchup=False, tags=["test"], default_args=DEFAULT_ARGS,
     doc_md=__doc__)
def lineage_probe() -> None:
    for task_id, (inlets, outlets) in DECLARED.items():
        task(task_id=task_id, inlets=[BY_URI[u] for u in inlets],
             outlets=[BY_URI[u] for u in outlets])(lambda: None)()


lineage_probe()
'''


def test_a_month_s_events_draw_source_lake_warehouse_marts_files(tmp_path: Path) -> None:
    found = subprocess.run([sys.executable, "-c", DECLARED, str(ROOT / "dags")], capture_output=True,
                           text=True, timeout=300, check=False,
                           env={**os.environ, "AIRFLOW_HOME": str(tmp_path / "parse-home"),
                                "AIRFLOW__CORE__LOAD_EXAMPLES": "False"})
    assert found.returncode == 0, found.stderr[-3000:]
    declared = json.loads(found.stdout.strip().splitlines()[-1])
    assert "kpi_load__render_report" in declared and "portfolio_extract__report" in declared, declared

    dags = tmp_path / "dags"
    dags.mkdir()
    (dags / "lineage_probe.py").write_text(PROBE_DAG.format(declared=declared))
    home = tmp_path / "data" / "airflow"
    home.mkdir(parents=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "RECOUVRA", "OPENLINEAGE"))}
    env.update({"AIRFLOW_HOME": str(home), "AIRFLOW__CORE__DAGS_FOLDER": str(dags),
                "RECOUVRA__STORAGE__LAKE_DIR": str(tmp_path / "data" / "lake")})

    def airflow(args: str, **extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["bash", "-c", f"source {ROOT}/scripts/env.sh && airflow {args}"],
                              env={**env, **extra}, cwd=tmp_path, capture_output=True, text=True,
                              timeout=600, check=False)

    migrated = airflow("db migrate")
    assert migrated.returncode == 0, migrated.stdout[-3000:] + migrated.stderr[-3000:]
    # kpi_load's instant of August (3rd, 09:00, Casablanca): every event is about 2026-08
    run = airflow("dags test lineage_probe 2026-08-03T09:00:00+01:00")
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-4000:]

    events_file = tmp_path / "data" / "lineage" / "events.jsonl"  # beside AIRFLOW_HOME, under data/
    events = [json.loads(line) for line in events_file.read_text().splitlines()]
    completes = [e for e in events if e["eventType"] == "COMPLETE" and "." in e["job"]["name"]]
    assert len(completes) == len(declared), [e["job"]["name"] for e in completes]
    assert {(e["run"]["facets"][FACET_KEY]["month"], e["run"]["facets"][FACET_KEY]["state"])
            for e in completes} == {("2026-08", "success")}
    assert all(e["job"]["namespace"] == "recouvra" for e in events)

    chain = month_chain(events, "2026-08")
    jobs = [job.split(".", 1)[1] for job, _, _ in chain]
    assert jobs[0] == "portfolio_extract__report" and jobs[-1] == "kpi_load__render_report", chain
    assert chain[0][1] == "cnss.public.employers" or chain[0][1].startswith("cnss.public."), chain
    assert chain[0][2] == "/opt/airflow/data/lake", chain
    assert any(out.startswith("warehouse.core.") for _, _, out in chain), chain
    assert chain[-1][1].startswith("warehouse.marts.") and chain[-1][2] == "/opt/airflow/data/reports"
    assert month_chain(events, "2026-07") == []

    # A lineage file that cannot be written: the provider's warning, the tasks all succeed.
    broken = airflow("dags test lineage_probe 2026-09-03T09:00:00+01:00",
                     AIRFLOW__OPENLINEAGE__TRANSPORT=json.dumps(
                         {"type": "file", "log_file_path": str(tmp_path / "no-such-dir" / "events.jsonl"),
                          "append": True}))
    assert broken.returncode == 0, broken.stdout[-4000:] + broken.stderr[-4000:]
    assert "Failed to emit OpenLineage" in broken.stdout + broken.stderr
    with sqlite3.connect(home / "airflow.db") as db:
        states = {s for (s,) in db.execute(
            "SELECT ti.state FROM task_instance AS ti JOIN dag_run AS dr USING (dag_id, run_id) "
            "WHERE dr.logical_date LIKE '2026-09-03%'")}
    assert states == {"success"}, states
    assert not (tmp_path / "no-such-dir").exists()

"""The production topology, natively: a real scheduler with the Celery executor, and the operations.

``test_celery_stack_runs_the_dags`` starts what ``make stack`` starts (``scripts/stack.sh``: api-server,
scheduler, dag-processor, triggerer, Celery worker) against a fresh PostgreSQL metadata database, a
dedicated Redis DB as broker and the result backend in PostgreSQL; it triggers ``warehouse_setup`` and
``portfolio_extract`` through the REST API (JWT from the simple auth manager), waits for success, checks
the warehouse, the lake and the run summaries, then stops every process by its PID and checks that none
remains.

``test_failing_task_alerts_with_dag_task_month_and_log`` runs a deliberately failing task through
``airflow dags test`` (private AIRFLOW_HOME) and checks the alerts log names the DAG, the task, the month,
the try and the log location, and that the run's summary lists the failure.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import psutil
import pytest
import sqlalchemy

from recouvra.warehouse import connect

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.airflow, pytest.mark.slow]

#: Celery broker of the test: a Redis DB number no other part of the project uses.
BROKER_DB = 11
RUN_TIMEOUT_S = 240


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _free_port_block(n: int) -> int:
    """First of ``n`` consecutive free ports (the scheduler health and the two log servers)."""
    for _ in range(50):
        base = _free_port()
        if base + n >= 65535:
            continue
        ok = True
        for p in range(base, base + n):
            with socket.socket() as s:
                try:
                    s.bind(("127.0.0.1", p))
                except OSError:
                    ok = False
                    break
        if ok:
            return base
    raise RuntimeError("no block of free ports")


def _missing(pytestconfig: pytest.Config, what: str, how: str) -> None:
    """tests/conftest.py's ``missing_component``: skip locally, fail under CI=true."""
    root_conftest = ROOT / "tests" / "conftest.py"
    for plugin in pytestconfig.pluginmanager.get_plugins():
        if getattr(plugin, "__file__", None) and Path(plugin.__file__).resolve() == root_conftest:
            plugin.missing_component(what, how)
            return
    raise RuntimeError(f"{root_conftest} is not loaded")


class Api:
    """The Airflow 3 REST API (/api/v2) with a JWT from the simple auth manager (POST /auth/token)."""

    def __init__(self, base: str, user: str, password: str) -> None:
        self.base = base
        body = self._call("POST", "/auth/token", {"username": user, "password": password}, token=None)
        self.token = body["access_token"]

    def _call(self, method: str, path: str, payload: dict[str, Any] | None = None,
              token: str | None = "") -> Any:
        headers = {"Content-Type": "application/json"}
        if token is not None:
            headers["Authorization"] = f"Bearer {token or self.token}"
        data = json.dumps(payload).encode() if payload is not None else None
        req = urllib.request.Request(self.base + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                return json.loads(resp.read() or b"null")
        except urllib.error.HTTPError as exc:
            raise AssertionError(f"{method} {path}: HTTP {exc.code} {exc.read()[:500]!r}") from exc

    def get(self, path: str) -> Any:
        return self._call("GET", path)

    def post(self, path: str, payload: dict[str, Any]) -> Any:
        return self._call("POST", path, payload)

    def patch(self, path: str, payload: dict[str, Any]) -> Any:
        return self._call("PATCH", path, payload)


def _wait_dags_parsed(api: Api, dag_ids: set[str], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    seen: set[str] = set()
    while time.monotonic() < deadline:
        seen = {d["dag_id"] for d in api.get("/api/v2/dags?limit=100")["dags"]}
        if dag_ids <= seen:
            return
        time.sleep(2)
    raise AssertionError(f"DAGs {sorted(dag_ids - seen)} not parsed after {timeout}s (seen {sorted(seen)})")


def _trigger(api: Api, dag_id: str, run_id: str, logical_date: str) -> None:
    """Create a run (queued while the DAG is paused), then unpause the DAG."""
    api.post(f"/api/v2/dags/{dag_id}/dagRuns", {"dag_run_id": run_id, "logical_date": logical_date})
    api.patch(f"/api/v2/dags/{dag_id}", {"is_paused": False})


def _wait_run(api: Api, dag_id: str, run_id: str, timeout: float) -> dict[str, Any]:
    """Wait for a run to end; returns it."""
    deadline = time.monotonic() + timeout
    run: dict[str, Any] = {}
    while time.monotonic() < deadline:
        run = api.get(f"/api/v2/dags/{dag_id}/dagRuns/{run_id}")
        if run["state"] in {"success", "failed"}:
            return run
        time.sleep(2)
    raise AssertionError(f"{dag_id} {run_id} still {run.get('state')} after {timeout}s")


def _task_states(api: Api, dag_id: str, run_id: str) -> dict[str, str]:
    tis = api.get(f"/api/v2/dags/{dag_id}/dagRuns/{run_id}/taskInstances?limit=100")["task_instances"]
    return {f"{t['task_id']}[{t['map_index']}]": t["state"] for t in tis}


def _stack(cmd: str, env: dict[str, str], timeout: float) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", str(ROOT / "scripts/stack.sh"), cmd], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=timeout, check=False)


def _processes_of(stack_dir: Path, home: Path) -> set[int]:
    """Every live process started by the stack: the recorded PIDs, their descendants, and any process
    whose environment points at the stack's private AIRFLOW_HOME (catches orphans that left the tree)."""
    pids: set[int] = set()
    for pidfile in (stack_dir / "pids").glob("*.pid"):
        pid = int(pidfile.read_text())
        if psutil.pid_exists(pid):
            proc = psutil.Process(pid)
            pids |= {pid, *(c.pid for c in proc.children(recursive=True))}
    for proc in psutil.process_iter(["pid"]):
        try:
            if proc.environ().get("AIRFLOW_HOME") == str(home):
                pids.add(proc.pid)
        except (psutil.AccessDenied, psutil.NoSuchProcess, psutil.ZombieProcess):
            continue
    return {p for p in pids if _alive(p)}


def _alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _tail(path: Path, n: int = 40) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-n:]) if path.exists() else ""


@pytest.mark.postgres
def test_celery_stack_runs_the_dags(pg_url: str, tmp_path: Path, pytestconfig: pytest.Config) -> None:
    import redis

    from recouvra.config import load_settings
    from recouvra.standins.generator.seed import seed_source

    broker = f"redis://127.0.0.1:6379/{BROKER_DB}"
    try:
        redis.Redis.from_url(broker, socket_connect_timeout=3).flushdb()  # the test's own DB only
    except redis.exceptions.ConnectionError as exc:
        _missing(pytestconfig, f"Redis at 127.0.0.1:6379 ({exc})",
                 "apt-get install redis-server && service redis-server start")

    t0 = time.monotonic()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "RECOUVRA__"))}
    source = tmp_path / "source.db"
    warehouse = tmp_path / "warehouse.duckdb"
    lake = tmp_path / "data" / "lake"
    env.update({
        "RECOUVRA__STORAGE__SOURCE_URL": f"sqlite:///{source}",
        "RECOUVRA__STORAGE__WAREHOUSE_URL": f"duckdb:///{warehouse}",
        "RECOUVRA__STORAGE__LAKE_DIR": str(lake),
    })
    seed_source(load_settings(), scale=300, seed=7, url=f"sqlite:///{source}",
                truth_dir=tmp_path / "truth", progress=False)

    stack_dir = tmp_path / "stack"
    port = _free_port()
    env.update({
        "STACK_DIR": str(stack_dir),
        "STACK_DB_URL": pg_url.replace("postgresql+psycopg://", "postgresql+psycopg2://"),
        "STACK_BROKER_URL": broker,
        "STACK_PORT": str(port),
        "STACK_PORT_BASE": str(_free_port_block(3)),
        "STACK_PARALLELISM": "4",
        "STACK_CONCURRENCY": "2",
        "STACK_CONNECTIONS": "none",  # two DAGs on embedded engines, no SFTP: nothing to check
    })
    # The project's DAG files (symlinked, the same files) plus the failing probe of the alert test.
    dags = tmp_path / "dags"
    dags.mkdir()
    for dag_file in (ROOT / "dags").glob("*.py"):
        (dags / dag_file.name).symlink_to(dag_file)
    (dags / "ops_failing_probe.py").write_text(FAILING_DAG)
    env["AIRFLOW__CORE__DAGS_FOLDER"] = str(dags)
    home = stack_dir / "airflow"
    timings: dict[str, float] = {}
    started = _stack("start", env, timeout=240)
    timings["start"] = time.monotonic() - t0
    try:
        assert started.returncode == 0, started.stdout[-3000:] + started.stderr[-3000:]
        running = _processes_of(stack_dir, home)
        assert len(running) >= 5, f"expected the 5 components and their children, got {running}"
        secrets = dict(line.split("=", 1) for line in (stack_dir / "secrets.env").read_text().split())
        api = Api(f"http://127.0.0.1:{port}", "admin", secrets["STACK_PASSWORD"])
        _wait_dags_parsed(api, {"warehouse_setup", "portfolio_extract", "ops_failing_probe"}, timeout=90)
        # The failing probe runs beside the others (checked at the end).
        _trigger(api, "ops_failing_probe", "stack_probe", "2026-10-01T00:00:00Z")

        t1 = time.monotonic()
        _trigger(api, "warehouse_setup", "stack_setup", "2026-11-01T00:00:00Z")
        run = _wait_run(api, "warehouse_setup", "stack_setup", RUN_TIMEOUT_S)
        timings["warehouse_setup"] = time.monotonic() - t1
        assert run["state"] == "success", _task_states(api, "warehouse_setup", "stack_setup")

        t1 = time.monotonic()
        _trigger(api, "portfolio_extract", "stack_extract", "2026-11-01T00:00:00Z")
        run = _wait_run(api, "portfolio_extract", "stack_extract", RUN_TIMEOUT_S)
        timings["portfolio_extract"] = time.monotonic() - t1
        states = _task_states(api, "portfolio_extract", "stack_extract")
        assert run["state"] == "success", states
        assert sum(1 for k in states if k.startswith("extract[")) >= 5, states
        # Its report emitted the lake's asset, source_snapshots, with the extras the DAGs it triggers read
        # (docs/architecture.md, "Data-aware scheduling"): every table published, the run's instant.
        from recouvra.lake import TABLES

        # (unpaused, the DAG also gets a run of its own clock: only this run's events are looked at)
        events = api.get("/api/v2/assets/events?source_dag_id=portfolio_extract&source_run_id=stack_extract")
        events = events["asset_events"]
        assert [(e["name"], e["source_task_id"]) for e in events] == [("source_snapshots", "report")], events
        extra = events[0]["extra"]
        assert (extra["month"], extra["files"], extra["logical_date"]) == (
            "2026-11", len(TABLES), "2026-11-01T01:00:00+01:00"), extra
        assert extra["rows"] >= 300, extra

        # The Celery worker ran the tasks: one result per task in the PostgreSQL result backend.
        engine = sqlalchemy.create_engine(pg_url)
        try:
            with engine.connect() as conn:
                results = dict(conn.execute(sqlalchemy.text(
                    "SELECT status, count(*) FROM celery_taskmeta GROUP BY status")).all())
        finally:
            engine.dispose()
        assert results.get("SUCCESS", 0) >= 2 + len(states), results
        # Outcomes: the warehouse schema, the lake's published snapshots, the run summaries.
        with connect(f"duckdb:///{warehouse}") as wh:
            schemas = {r[0] for r in wh.query("SELECT DISTINCT table_schema FROM information_schema.tables")}
        assert {"staging", "core", "marts", "meta"} <= schemas
        manifests = list(lake.glob("employers/snapshot_date=*/_manifest.json"))
        assert manifests, sorted(str(p) for p in lake.rglob("*"))[:20]
        runs = lake.parent / "runs"
        summary = (runs / "portfolio_extract" / "stack_extract.md").read_text()
        assert "# portfolio_extract — SUCCESS" in summary
        assert "| employers | 300 |" in summary, summary
        assert "Data Docs" in summary and "index.html" in summary, summary
        setup_summary = (runs / "warehouse_setup" / "stack_setup.md").read_text()
        assert "verify_warehouse: " in setup_summary and "core " in setup_summary, setup_summary

        # The failing probe ran on the worker in parallel: its alert names DAG, task, month and a log
        # file that exists (written by the Celery worker), and its summary lists the failure.
        probe = _wait_run(api, "ops_failing_probe", "stack_probe", RUN_TIMEOUT_S)
        assert probe["state"] == "failed"
        alerts = (lake.parent / "alerts.log").read_text().splitlines()
        failed = [ln for ln in alerts if " FAILED " in ln and "dag=ops_failing_probe" in ln]
        assert len(failed) == 1, alerts
        assert "task=publish_agency_file" in failed[0] and "month=2026-10" in failed[0], failed[0]
        log_file = Path(failed[0].split(" log=", 1)[1].split(" ", 1)[0])
        assert log_file.is_relative_to(home / "logs") and log_file.exists(), failed[0]
        assert "agency AG01 outbox unreachable" in log_file.read_text(errors="replace")
        probe_summary = (runs / "ops_failing_probe" / "stack_probe.md").read_text()
        assert "**publish_agency_file** (failed, try 2)" in probe_summary, probe_summary
    except BaseException:
        for name in ("scheduler", "celery-worker", "api-server", "dag-processor"):
            print(f"--- {name}.log\n{_tail(stack_dir / 'logs' / f'{name}.log')}")
        raise
    finally:
        before = _processes_of(stack_dir, home)
        t1 = time.monotonic()
        stopped = _stack("stop", env, timeout=120)
        timings["stop"] = time.monotonic() - t1
        left = {p for p in before if _alive(p)} | _processes_of(stack_dir, home)
        if left:  # never leave anything behind, even when the test fails: our own PIDs only
            for pid in left:
                psutil.Process(pid).kill()
        print("timings (s):", {k: round(v, 1) for k, v in timings.items()})
    assert stopped.returncode == 0, stopped.stdout + stopped.stderr
    assert not left, f"processes left after stack.sh stop: {left}"
    assert before, "no process was recorded"


FAILING_DAG = '''
"""
### ops_failing_probe

A task that always fails: the operations test checks the alert it produces.
"""
from __future__ import annotations

import datetime as dt

from airflow.sdk import dag, task

from recouvra.airflow_adapter import DEFAULT_ARGS, START_DATE


@dag(schedule=None, start_date=START_DATE, catchup=False, tags=["test"],
     default_args={**DEFAULT_ARGS, "retries": 1, "retry_delay": dt.timedelta(seconds=0),
                   "retry_exponential_backoff": False},
     doc_md=__doc__)
def ops_failing_probe() -> None:
    @task
    def count_rows() -> dict:
        return {"table": "employers", "rows": 12}

    @task
    def publish_agency_file(counted: dict) -> None:
        raise RuntimeError("agency AG01 outbox unreachable (probe)")

    publish_agency_file(count_rows())


ops_failing_probe()
'''


def test_failing_task_alerts_with_dag_task_month_and_log(tmp_path: Path) -> None:
    dags = tmp_path / "dags"
    dags.mkdir()
    (dags / "ops_failing_probe.py").write_text(FAILING_DAG)
    home = tmp_path / "airflow-home"
    home.mkdir()
    lake = tmp_path / "data" / "lake"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "RECOUVRA__"))}
    env.update({"AIRFLOW_HOME": str(home), "AIRFLOW__CORE__DAGS_FOLDER": str(dags),
                "RECOUVRA__STORAGE__LAKE_DIR": str(lake)})

    def airflow(args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["bash", "-c", f"source {ROOT}/scripts/env.sh && airflow {args}"],
                              env=env, cwd=tmp_path, capture_output=True, text=True, timeout=600,
                              check=False)

    migrated = airflow("db migrate")
    assert migrated.returncode == 0, migrated.stdout[-3000:] + migrated.stderr[-3000:]
    run = airflow("dags test ops_failing_probe 2026-11-01")
    out = run.stdout[-4000:] + run.stderr[-4000:]
    assert run.returncode != 0 or "failed" in out.lower(), out

    alerts_log = lake.parent / "alerts.log"
    assert alerts_log.exists(), out
    lines = alerts_log.read_text().splitlines()
    failed = [ln for ln in lines if " FAILED " in ln]
    retries = [ln for ln in lines if " RETRY " in ln]
    assert len(failed) == 1, lines
    alert = failed[0]
    for expected in ("dag=ops_failing_probe", "task=publish_agency_file", "month=2026-11", "try=2/2",
                     "agency AG01 outbox unreachable (probe)"):
        assert expected in alert, alert
    # The log location: the task's log file under AIRFLOW_HOME and its URL in the UI.
    assert f"log={home}/logs/dag_id=ops_failing_probe/" in alert and "attempt=2.log" in alert, alert
    assert "url=http" in alert and "/dags/ops_failing_probe/runs/" in alert, alert
    # (`airflow dags test` logs to its console: the file itself is checked in the Celery stack test)
    assert len(retries) == 1 and "try=1/2" in retries[0], lines

    # The listener wrote the run's summary: the failure first, with its log link; the rows counted.
    summaries = list((lake.parent / "runs" / "ops_failing_probe").glob("*.md"))
    assert len(summaries) == 1, out
    summary = summaries[0].read_text()
    assert "# ops_failing_probe — FAILED" in summary
    assert "**publish_agency_file** (failed, try 2)" in summary, summary
    assert "| employers | 12 | count_rows |" in summary, summary
    # `dags test` stamps the run's start with its logical date (2026-11-01, a past month): the run is
    # timed from its tasks, a matter of seconds, never from that date.
    ended = re.search(r"^- ended: .* \((\d+\.\d) s\)$", summary, re.MULTILINE)
    assert ended is not None and float(ended.group(1)) < 600, summary

"""One DAG run through the real scheduler, waited for: what `run_dag` does when the demo's months are
replayed by Airflow's scheduler (scripts/backfill.sh) instead of `airflow dags test`.

    python scripts/scheduler_run.py ready                    wait until every DAG is parsed; unpause them
    python scripts/scheduler_run.py backfill DAG INSTANT     `airflow backfill create` of that one instant
    python scripts/scheduler_run.py trigger DAG INSTANT      a run with that logical date (asset-scheduled
                                                             and unscheduled DAGs, which no backfill takes:
                                                             the monthly DAGs wait for assets, see
                                                             docs/architecture.md "Data-aware scheduling")

INSTANT is the fund's local wall time (Africa/Casablanca), as the demo writes it: ``2026-07-01T02:00``.
The stack runs with ``[scheduler] use_job_schedule`` off (scripts/stack.sh, STACK_REPLAY_ONLY=1): unpaused
DAGs get no run of the scheduler's own, neither on the clock nor from an asset event, so the runs are
exactly the ones asked here, in this order. The scheduler queues them, the LocalExecutor runs the tasks.
Prints ``ok (<s>s)`` or the failed tasks with their log files, and exits 1 on failure.
Settings from the environment: STACK_DIR (its secrets.env holds the admin password), STACK_PORT.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

FUND_TZ = ZoneInfo("Africa/Casablanca")
TIMEOUT_S = float(os.environ.get("SCHEDULER_RUN_TIMEOUT", "1800"))


class Api:
    """The Airflow 3 REST API (/api/v2) with a JWT from the simple auth manager."""

    def __init__(self) -> None:
        stack = Path(os.environ["STACK_DIR"])
        secrets = dict(line.split("=", 1) for line in (stack / "secrets.env").read_text().split())
        self.base = f"http://127.0.0.1:{os.environ.get('STACK_PORT', '8080')}"
        user = os.environ.get("STACK_USER", "admin")
        body = self.call("POST", "/auth/token", {"username": user, "password": secrets["STACK_PASSWORD"]},
                         auth=False)
        self.token = body["access_token"]

    def call(self, method: str, path: str, payload: dict[str, Any] | None = None, auth: bool = True) -> Any:
        headers = {"Content-Type": "application/json"}
        if auth:
            headers["Authorization"] = f"Bearer {self.token}"
        data = json.dumps(payload).encode() if payload is not None else None
        req = urllib.request.Request(self.base + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=60) as resp:
                return json.loads(resp.read() or b"null")
        except urllib.error.HTTPError as exc:
            raise SystemExit(f"error: {method} {path}: HTTP {exc.code} {exc.read()[:600]!r}") from exc


def instant(text: str) -> dt.datetime:
    """The fund's local wall time as an aware instant."""
    when = dt.datetime.fromisoformat(text)
    return when if when.tzinfo is not None else when.replace(tzinfo=FUND_TZ)


def ready(api: Api, dag_ids: list[str]) -> None:
    deadline = time.monotonic() + 300
    while True:
        listed = {d["dag_id"]: d for d in api.call("GET", "/api/v2/dags?limit=100")["dags"]}
        missing = [d for d in dag_ids if d not in listed]
        if not missing:
            break
        if time.monotonic() > deadline:
            raise SystemExit(f"error: DAGs not parsed after 300 s: {missing}")
        time.sleep(2)
    for dag_id in dag_ids:
        if listed[dag_id]["is_paused"]:
            api.call("PATCH", f"/api/v2/dags/{dag_id}", {"is_paused": False})
    print(f"ok ({len(dag_ids)} DAGs parsed and unpaused)")


def _runs_at(api: Api, dag_id: str, when: dt.datetime) -> list[dict[str, Any]]:
    stamp = when.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
    query = f"logical_date_gte={stamp}&logical_date_lte={stamp}".replace(":", "%3A")
    return list(api.call("GET", f"/api/v2/dags/{dag_id}/dagRuns?{query}")["dag_runs"])


def wait(api: Api, dag_id: str, when: dt.datetime, started: float) -> int:
    deadline = time.monotonic() + TIMEOUT_S
    while True:
        runs = _runs_at(api, dag_id, when)
        states = {r["state"] for r in runs}
        if runs and states <= {"success", "failed"}:
            break
        if time.monotonic() > deadline:
            print(f"TIMEOUT after {TIMEOUT_S:.0f}s: runs {[(r['dag_run_id'], r['state']) for r in runs]}")
            return 1
        time.sleep(1)
    if states == {"success"}:
        print(f"ok ({time.monotonic() - started:.1f}s, run {runs[0]['dag_run_id']})")
        return 0
    print(f"FAILED ({time.monotonic() - started:.1f}s)")
    for run in runs:
        tis = api.call("GET", f"/api/v2/dags/{dag_id}/dagRuns/{run['dag_run_id']}/taskInstances")
        for ti in tis["task_instances"]:
            if ti["state"] not in ("success", "skipped"):
                logs = f"{os.environ.get('AIRFLOW_HOME', '')}/logs/dag_id={dag_id}"
                print(f"  task {ti['task_id']} [{ti.get('map_index', -1)}]: {ti['state']} "
                      f"(run {run['dag_run_id']}; log under {logs})")
    return 1


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__)
        return 2
    api = Api()
    if argv[0] == "ready":
        ready(api, argv[1:])
        return 0
    command, dag_id, text = argv
    when = instant(text)
    started = time.monotonic()
    if command == "backfill":
        # The CLI of the words, against the stack's metadata database: the scheduler creates
        # and queues the backfill's runs and the executor runs them.
        stamp = when.isoformat()
        proc = subprocess.run(
            ["airflow", "backfill", "create", "--dag-id", dag_id, "--from-date", stamp, "--to-date", stamp,
             "--max-active-runs", "1", "--reprocess-behavior", "none"],
            capture_output=True, text=True, check=False,
        )
        if proc.returncode != 0:
            print(f"FAILED: airflow backfill create: {(proc.stderr or proc.stdout)[-1500:]}")
            return 1
    elif command == "trigger":
        run_id = f"replay__{when.astimezone(dt.UTC).strftime('%Y-%m-%dT%H:%M:%SZ')}"
        api.call("POST", f"/api/v2/dags/{dag_id}/dagRuns",
                 {"dag_run_id": run_id, "logical_date": when.isoformat(), "conf": {}})
    else:
        print(f"unknown command {command!r}")
        return 2
    return wait(api, dag_id, when, started)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

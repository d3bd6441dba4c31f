"""DAG runs through the real scheduler, waited for: the demo's months under Airflow's scheduler
(scripts/demo.sh: backfills of the DAGs on a clock, the assets drive the rest) and their replay
(scripts/backfill.sh: every run asked, one by one, `run_dag` of scripts/demo-lib.sh).

    python scripts/scheduler_run.py ready                    wait until every DAG is parsed; unpause them
    python scripts/scheduler_run.py backfill DAG INSTANT     `airflow backfill create` of that one instant
                                                             (SCHEDULER_RUN_BACKFILL=api: the same backfill
                                                             through the REST API, as the demo does)
    python scripts/scheduler_run.py trigger DAG INSTANT      a run with that logical date (asset-scheduled
                                                             and unscheduled DAGs, which no backfill takes:
                                                             the monthly DAGs wait for assets, see
                                                             docs/architecture.md "Data-aware scheduling")
    python scripts/scheduler_run.py settle [DAG...]          wait until no run is queued or running (the
                                                             asset-triggered runs a backfill set off, and
                                                             theirs, have all ended); fails on a failed run
    python scripts/scheduler_run.py report [JSON]            every run of the stack: type, DAG, month,
                                                             wall, task time, state, the run summary's
                                                             counts; totals (Airflow overhead per task)

INSTANT is the fund's local wall time (Africa/Casablanca), as the demo writes it: ``2026-07-01T02:00``.
For the replay the stack runs with ``[scheduler] use_job_schedule`` off (scripts/stack.sh,
STACK_REPLAY_ONLY=1): unpaused DAGs get no run of the scheduler's own, neither on the clock nor from an
asset event, so the runs are exactly the ones asked here, in this order. For the demo it is on: a
backfilled extraction's asset events start the debtor master, whose events start the reconciliation, and
so on (``settle`` waits for the whole cascade). The scheduler queues the runs, the LocalExecutor runs
the tasks. Prints ``ok (<s>s)`` or the failed tasks with their log files, and exits 1 on failure.
Settings from the environment: STACK_DIR (its secrets.env holds the admin password), STACK_PORT,
RECOUVRA_DATA_DIR (``report`` reads the run summaries under it, runs/).
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
#: How often a run's state is asked (the REST API on the same machine: a few milliseconds a call); half a
#: second, so that each backfill step of the demo waits about a second less than at one.
POLL_S = float(os.environ.get("SCHEDULER_RUN_POLL", "0.5"))


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

    def call(self, method: str, path: str, payload: dict[str, Any] | None = None, auth: bool = True,
             accept: frozenset[int] = frozenset()) -> Any:
        """The answer's JSON; an HTTP error ends the script, but for a status in ``accept`` (None)."""
        headers = {"Content-Type": "application/json"}
        if auth:
            headers["Authorization"] = f"Bearer {self.token}"
        data = json.dumps(payload).encode() if payload is not None else None
        req = urllib.request.Request(self.base + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=60) as resp:
                return json.loads(resp.read() or b"null")
        except urllib.error.HTTPError as exc:
            if exc.code in accept:
                return None
            raise SystemExit(f"error: {method} {path}: HTTP {exc.code} {exc.read()[:600]!r}") from exc


def close_idle_backfills(api: Api, dag_id: str) -> None:
    """Cancel the DAG's backfills still open with no run queued or running. A backfill that had nothing
    to (re)run (every instant already run: a second `make demo` on the same data) is marked complete by
    the scheduler only two minutes after its creation, and Airflow refuses another backfill of the DAG
    until then ("already a running backfill"); the demo waits for every run before its next backfill,
    so an open one is idle."""
    active = api.call("GET", f"/api/v2/dags/{dag_id}/dagRuns?state=queued&state=running&limit=1")
    if active.get("total_entries", 0) or active.get("dag_runs"):
        time.sleep(3)  # a run of the DAG is still going: its backfill is not idle, wait for it
        return
    for b in api.call("GET", f"/api/v2/backfills?dag_id={dag_id}&limit=100")["backfills"]:
        if b.get("completed_at") is None:
            # 409 "Backfill is already completed": the scheduler closed it since it was listed, which is
            # what cancelling it was for.
            api.call("PUT", f"/api/v2/backfills/{b['id']}/cancel", accept=frozenset({409}))
    time.sleep(0.5)


def backfill_cli(api: Api, dag_id: str, when: dt.datetime) -> bool:
    """`airflow backfill create` of one instant; False (and what Airflow said) when it fails."""
    # On SQLite (the embedded replay) the CLI may find the database locked by a component's write
    # (SQLite has one writer): it is asked again, a moment later, as the API path does on 503.
    # Airflow commits the backfill before its runs, so a lock met while creating the runs can leave
    # an empty backfill that refuses the next ("already a running backfill"): an idle one is
    # cancelled, then the backfill asked again.
    stamp = when.isoformat()
    for attempt in range(1, 21):
        proc = subprocess.run(
            ["airflow", "backfill", "create", "--dag-id", dag_id, "--from-date", stamp, "--to-date",
             stamp, "--max-active-runs", "1", "--reprocess-behavior", "none"],
            capture_output=True, text=True, check=False,
        )
        said = proc.stderr + proc.stdout
        if proc.returncode == 0:
            return True
        if attempt < 20 and "database is locked" in said:
            time.sleep(1.0)
            continue
        if attempt < 20 and "already a running backfill" in said:
            close_idle_backfills(api, dag_id)
            continue
        print(f"FAILED: airflow backfill create: {(proc.stderr or proc.stdout)[-1500:]}")
        return False
    return False


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
        time.sleep(POLL_S)
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
        time.sleep(POLL_S)
    if states == {"success"}:
        print(f"ok ({time.monotonic() - started:.1f}s, run {runs[0]['dag_run_id']})")
        return 0
    print(f"FAILED ({time.monotonic() - started:.1f}s)")
    for run in runs:
        _failed_tasks(api, {**run, "dag_id": dag_id})
    return 1


def _failed_tasks(api: Api, run: dict[str, Any]) -> None:
    dag_id = run["dag_id"]
    tis = api.call("GET", f"/api/v2/dags/{dag_id}/dagRuns/{run['dag_run_id']}/taskInstances")
    for ti in tis["task_instances"]:
        if ti["state"] not in ("success", "skipped"):
            logs = f"{os.environ.get('AIRFLOW_HOME', '')}/logs/dag_id={dag_id}"
            print(f"  task {ti['task_id']} [{ti.get('map_index', -1)}]: {ti['state']} "
                  f"(run {run['dag_run_id']}; log under {logs})")


def _runs(api: Api, states: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    query = "&".join(f"state={s}" for s in states)
    runs: list[dict[str, Any]] = []
    while True:
        page = api.call("GET", f"/api/v2/dags/~/dagRuns?limit=100&offset={len(runs)}&order_by=id&{query}")
        runs += page["dag_runs"]
        if not page["dag_runs"] or len(runs) >= page["total_entries"]:
            return runs


def settle(api: Api, started: float, dag_ids: list[str]) -> int:
    """Wait until each of ``dag_ids`` has a run (one the scheduler creates by itself: @once), then until
    no run is queued or running twice in a row, ``POLL_S`` apart (more than a scheduler loop): an asset
    event is queued when its task ends, and the run it triggers is created before the producing run is
    marked done, so an empty queue seen twice means the cascade has ended."""
    deadline = time.monotonic() + TIMEOUT_S
    for dag_id in dag_ids:
        while not api.call("GET", f"/api/v2/dags/{dag_id}/dagRuns?limit=1")["total_entries"]:
            if time.monotonic() > deadline:
                print(f"TIMEOUT after {TIMEOUT_S:.0f}s: {dag_id} has no run")
                return 1
            time.sleep(1)
    quiet = 0
    while quiet < 2:
        busy = _runs(api, ("queued", "running"))
        quiet = 0 if busy else quiet + 1
        if time.monotonic() > deadline:
            print(f"TIMEOUT after {TIMEOUT_S:.0f}s: still {[(r['dag_id'], r['state']) for r in busy]}")
            return 1
        time.sleep(POLL_S)
    failed = _runs(api, ("failed",))
    if failed:
        print(f"FAILED ({time.monotonic() - started:.1f}s): {len(failed)} run(s) failed")
        for run in failed:
            _failed_tasks(api, run)
        return 1
    print(f"ok ({time.monotonic() - started:.1f}s, no run queued or running)")
    return 0


def _summary_counts(dag_id: str, run_id: str) -> tuple[str, str]:
    """(month, counts) from the run summary the listener wrote (recouvra.operations.write_run_summary)."""
    import re

    from recouvra.operations import RUNS_DIR_NAME, safe_name

    data = Path(os.environ.get("RECOUVRA_DATA_DIR", "data"))
    path = data / RUNS_DIR_NAME / dag_id / f"{safe_name(run_id)}.md"
    if not path.is_file():
        return "", "(no summary)"
    text = path.read_text(encoding="utf-8")
    month = re.search(r"^- month: (\S+)", text, re.MULTILINE)
    rows = re.search(r"^\| \*\*total\*\* \| \*\*([\d,]+)\*\*", text, re.MULTILINE)
    counts = []
    if rows:
        counts.append(f"{rows.group(1)} rows")
    for section, label in (("Files received", "received"), ("Files published", "published")):
        part = text.split(f"## {section}\n", 1)
        if len(part) == 2:
            body = part[1].split("\n## ", 1)[0]
            n = sum(1 for line in body.splitlines() if line.startswith("| ") and not line.startswith(
                ("| file |", "| agency / file |")))
            if n:
                counts.append(f"{n} files {label}")
    return (month.group(1) if month else ""), ", ".join(counts) or "-"


def _covered(spans: list[tuple[dt.datetime, dt.datetime]]) -> float:
    """Seconds during which at least one of the spans ran (overlapping mapped tasks counted once)."""
    total, end = 0.0, None
    for start, stop in sorted(spans):
        if end is None or start > end:
            total += (stop - start).total_seconds()
            end = stop
        elif stop > end:
            total += (stop - end).total_seconds()
            end = stop
    return total


def report(api: Api, out: Path | None) -> int:
    """Every run, in the order they were created, with what it did; totals and Airflow's overhead."""
    tis = []
    while True:
        page = api.call("GET", f"/api/v2/dags/~/dagRuns/~/taskInstances?limit=100&offset={len(tis)}")
        tis += page["task_instances"]
        if not page["task_instances"] or len(tis) >= page["total_entries"]:
            break
    busy: dict[tuple[str, str], list[float]] = {}
    spans: dict[tuple[str, str], list[tuple[dt.datetime, dt.datetime]]] = {}
    for ti in tis:
        key = (ti["dag_id"], ti["dag_run_id"])
        if ti.get("duration") is not None:
            busy.setdefault(key, []).append(float(ti["duration"]))
        if ti.get("start_date") and ti.get("end_date"):
            spans.setdefault(key, []).append((dt.datetime.fromisoformat(ti["start_date"]),
                                              dt.datetime.fromisoformat(ti["end_date"])))
    rows = []
    head = ("type", "DAG", "month", "wall", "tasks", "in tasks")
    print("  {:<16} {:<22} {:<8} {:>6} {:>5} {:>8}  state    counts".format(*head))
    for run in _runs(api):
        start, end = run.get("start_date"), run.get("end_date")
        wall = ((dt.datetime.fromisoformat(end) - dt.datetime.fromisoformat(start)).total_seconds()
                if start and end else 0.0)
        durations = busy.get((run["dag_id"], run["dag_run_id"]), [])
        month, counts = _summary_counts(run["dag_id"], run["dag_run_id"])
        rows.append({"run_type": run["run_type"], "dag_id": run["dag_id"], "run_id": run["dag_run_id"],
                     "month": month, "wall_s": round(wall, 1), "tasks": len(durations),
                     "task_s": round(sum(durations), 1),
                     "no_task_s": round(max(0.0, wall - _covered(spans.get((run["dag_id"], run["dag_run_id"]),
                                                                           []))), 1),
                     "state": run["state"], "counts": counts})
        print(f"  {run['run_type']:<16} {run['dag_id']:<22} {month:<8} {wall:>5.1f}s {len(durations):>5} "
              f"{sum(durations):>7.1f}s  {run['state']:<8} {counts}")
    walls, tasks = sum(r["wall_s"] for r in rows), sum(r["tasks"] for r in rows)
    in_tasks, idle = sum(r["task_s"] for r in rows), sum(r["no_task_s"] for r in rows)
    types = sorted({r["run_type"] for r in rows})
    overhead = idle / tasks if tasks else 0.0
    print(f"  {len(rows)} runs ({', '.join(types)}), {tasks} task runs: {walls:.0f} s of run wall time, "
          f"{in_tasks:.0f} s of task time, {idle:.0f} s with no task of the run running: Airflow overhead "
          f"{overhead:.1f} s per task")
    if out is not None:
        out.write_text(json.dumps({"runs": rows, "run_types": types, "tasks": tasks, "run_wall_s": walls,
                                   "task_s": in_tasks, "no_task_s": idle,
                                   "overhead_per_task_s": round(overhead, 2)},
                                  indent=2) + "\n", encoding="utf-8")
    return 0 if all(r["state"] == "success" for r in rows) else 1


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__)
        return 2
    api = Api()
    if argv[0] == "ready":
        ready(api, argv[1:])
        return 0
    if argv[0] == "settle":
        return settle(api, time.monotonic(), argv[1:])
    if argv[0] == "report":
        return report(api, Path(argv[1]) if len(argv) > 1 else None)
    command, dag_id, text = argv
    when = instant(text)
    started = time.monotonic()
    if command == "backfill" and os.environ.get("SCHEDULER_RUN_BACKFILL") == "api":
        # The same backfill through the REST API (POST /api/v2/backfills, what `airflow backfill create`
        # creates, without starting Airflow's CLI: about 6 s a backfill on the 2-core machine).
        # On SQLite the API refuses (503) while another component holds the database's write lock:
        # ask again, a moment later.
        body = {"dag_id": dag_id, "from_date": when.isoformat(), "to_date": when.isoformat(),
                "max_active_runs": 1, "reprocess_behavior": "none"}
        for attempt in range(1, 41):
            try:
                api.call("POST", "/api/v2/backfills", body)
                break
            except SystemExit as exc:
                if "already a running backfill" in str(exc) and attempt < 40:
                    close_idle_backfills(api, dag_id)
                    continue
                if "HTTP 503" not in str(exc) or attempt == 40:
                    raise
                time.sleep(0.5)
    elif command == "backfill":
        # The CLI of the words, against the stack's metadata database: the scheduler creates
        # and queues the backfill's runs and the executor runs them.
        if not backfill_cli(api, dag_id, when):
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

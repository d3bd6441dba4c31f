"""Run one DAG run the way docs/runbook.md tells an operator to, its command taken from the runbook's
text: the recipes are tested as written (scripts/production-cycle.sh runs the monthly DAGs and the
extraction's backfills with them).

    python scripts/runbook_recipe.py DAG INSTANT          run DAG's recipe at INSTANT, wait for the run
    python scripts/runbook_recipe.py --list               every recipe found, as written

The recipes are the commands of the runbook's section "Backfill a month": ``airflow dags trigger DAG
--logical-date T`` (the DAGs waiting for assets, which no backfill takes) and ``airflow backfill create
--dag-id DAG --from-date T --to-date T ...`` (the DAGs on a clock). A DAG's own recipe is used when the
section has one, else the section's recipe of its kind with the DAG's id; only the instant changes (the
fund's local time INSTANT, ``2026-08-01T06:00``, written with its offset as the runbook writes it). The
command runs with the caller's environment (the stack's: AIRFLOW_HOME, the metadata database), then
the run at that logical date is waited for through the REST API (STACK_DIR, STACK_PORT). Prints the
command, ``ok (<s>s)`` or the failed tasks, and exits 1 on failure.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shlex
import subprocess
import sys
import time
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent))  # loaded by path too (tests)
from scheduler_run import Api  # noqa: E402 (the same REST client as the demo's replay)

ROOT = Path(__file__).resolve().parents[1]
RUNBOOK = ROOT / "docs" / "runbook.md"
SECTION = "## Backfill a month"
FUND_TZ = ZoneInfo("Africa/Casablanca")
CLOCK_DAGS = ("portfolio_extract", "payments_weekly", "returns_ingest")
TIMEOUT_S = float(os.environ.get("SCHEDULER_RUN_TIMEOUT", "1800"))
COMMAND = re.compile(r"airflow (?:dags trigger|backfill create) [^`\n]*(?:\n[^`\n]*)?")
STAMP = re.compile(r"\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2})?(?:[+-]\d{2}:\d{2}|Z)?)?")


def recipes(text: str) -> list[str]:
    """The commands of the runbook's section, as written (a command wrapped over two lines joined)."""
    start = text.index(SECTION)
    end = text.find("\n## ", start + len(SECTION))
    section = text[start : end if end > 0 else None]
    found = []
    for block in re.findall(r"`{1,3}(?:bash\n)?([^`]+)`{1,3}", section):
        for match in COMMAND.finditer(block):
            found.append(" ".join(match.group(0).split()))
    return found


def _dag_of(command: str) -> str:
    words = shlex.split(command)
    return words[words.index("--dag-id") + 1] if "--dag-id" in words else words[3]


def recipe_for(dag_id: str, found: list[str]) -> str:
    """The DAG's recipe: its own, else the section's recipe of its kind (clock: backfill) for it."""
    own = [c for c in found if _dag_of(c) == dag_id]
    kind = "airflow backfill create" if dag_id in CLOCK_DAGS else "airflow dags trigger"
    mine = [c for c in own if c.startswith(kind)]
    if mine:
        return mine[0]
    generic = [c for c in found if c.startswith(kind)]
    if not generic:
        raise SystemExit(f"error: {RUNBOOK.name}, section {SECTION!r}: no `{kind} ...` recipe")
    other = _dag_of(generic[0])
    return re.sub(rf"(?<![\w-]){re.escape(other)}(?![\w-])", dag_id, generic[0])


def at(command: str, when: dt.datetime) -> str:
    """The recipe with every date of it replaced by the instant (ISO 8601 with the fund's offset)."""
    return STAMP.sub(when.isoformat(), command)


def wait(api: Api, dag_id: str, when: dt.datetime, started: float) -> int:
    stamp = when.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
    query = f"logical_date_gte={stamp}&logical_date_lte={stamp}".replace(":", "%3A")
    deadline = time.monotonic() + TIMEOUT_S
    while True:
        runs = api.call("GET", f"/api/v2/dags/{dag_id}/dagRuns?{query}")["dag_runs"]
        states = {r["state"] for r in runs}
        if runs and states <= {"success", "failed"}:
            break
        if time.monotonic() > deadline:
            print(f"TIMEOUT after {TIMEOUT_S:.0f}s: {[(r['dag_run_id'], r['state']) for r in runs]}")
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
                print(f"  task {ti['task_id']} [{ti.get('map_index', -1)}]: {ti['state']}")
    return 1


def main(argv: list[str]) -> int:
    found = recipes(RUNBOOK.read_text(encoding="utf-8"))
    if argv == ["--list"]:
        print("\n".join(found))
        return 0
    if len(argv) != 2:
        print(__doc__)
        return 2
    dag_id, text = argv
    when = dt.datetime.fromisoformat(text)
    when = when if when.tzinfo is not None else when.replace(tzinfo=FUND_TZ)
    command = at(recipe_for(dag_id, found), when)
    print(f"$ {command}")
    api = Api()
    started = time.monotonic()
    proc = subprocess.run(["bash", "-c", command], capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        print(f"FAILED: {command}: {(proc.stderr or proc.stdout)[-1500:]}")
        return 1
    return wait(api, dag_id, when, started)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""What lineage and metrics cost per task: the same probe DAG run by ``airflow dags test`` with the
OpenLineage provider and StatsD off, lineage on, then lineage and metrics on (scripts/env.sh's
settings), in a private AIRFLOW_HOME; runs interleaved, medians reported.

    python bench/bench_airflow_ops.py [--tasks 40] [--repeats 3]

The probe's tasks are no-ops that declare lineage as the pipeline's emitting tasks do (the nine source
tables in, the lake out), so the difference between configurations is what the provider (metadata
extraction, the month facet, two events per task written to the file) and the StatsD client cost.
Prints a Markdown table for docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sqlite3
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

PROBE = '''
"""
### ops_overhead_probe
"""
from __future__ import annotations

from airflow.sdk import dag, task

from recouvra.airflow_adapter import DEFAULT_ARGS, START_DATE
from recouvra.airflow_adapter.assets import SOURCE_SNAPSHOTS, SOURCE_TABLES


@dag(schedule=None, start_date=START_DATE, catchup=False, tags=["bench"], default_args=DEFAULT_ARGS,
     doc_md=__doc__)
def ops_overhead_probe() -> None:
    for i in range({tasks}):
        task(task_id=f"t{{i:02d}}", inlets=list(SOURCE_TABLES), outlets=[SOURCE_SNAPSHOTS])(lambda: None)()


ops_overhead_probe()
'''

CONFIGS = {
    "lineage off, metrics off": {"AIRFLOW__OPENLINEAGE__DISABLED": "True",
                                 "AIRFLOW__METRICS__STATSD_ON": "False"},
    "lineage on (file), metrics off": {"AIRFLOW__METRICS__STATSD_ON": "False"},
    "lineage on (file), metrics on (StatsD)": {},
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=40)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    base = Path(tempfile.mkdtemp(prefix="recouvra-ops-bench-"))
    (base / "dags").mkdir()
    (base / "dags" / "ops_overhead_probe.py").write_text(PROBE.format(tasks=args.tasks))
    home = base / "data" / "airflow"
    home.mkdir(parents=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "RECOUVRA", "OPENLINEAGE"))}
    env.update({"AIRFLOW_HOME": str(home), "AIRFLOW__CORE__DAGS_FOLDER": str(base / "dags"),
                "RECOUVRA__STORAGE__LAKE_DIR": str(base / "data" / "lake")})

    def airflow(cmd: str, extra: dict[str, str]) -> tuple[float, float]:
        """Wall time and CPU time (user + system of the command's processes) in seconds."""
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        subprocess.run(["bash", "-c", f"source {ROOT}/scripts/env.sh && airflow {cmd}"], env={**env, **extra},
                       cwd=base, check=True, capture_output=True, text=True)
        wall = time.perf_counter() - t0
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)

    airflow("db migrate", {})
    walls: dict[str, list[float]] = {name: [] for name in CONFIGS}
    cpus: dict[str, list[float]] = {name: [] for name in CONFIGS}
    task_s: dict[str, list[float]] = {name: [] for name in CONFIGS}
    day = 1
    for _ in range(args.repeats):
        for name, extra in CONFIGS.items():
            when = f"2026-08-{day:02d}T09:00:00+01:00"
            wall, cpu = airflow(f"dags test ops_overhead_probe {when}", extra)
            walls[name].append(wall)
            cpus[name].append(cpu)
            with sqlite3.connect(home / "airflow.db") as db:
                (mean,) = db.execute(
                    "SELECT avg(ti.duration) FROM task_instance AS ti "
                    "JOIN dag_run AS dr USING (dag_id, run_id) WHERE dr.logical_date LIKE ?",
                    (f"2026-08-{day:02d}%",)).fetchone()
            task_s[name].append(float(mean))
            day += 1
    events = base / "data" / "lineage" / "events.jsonl"
    sizes = [len(line) for line in events.read_text().splitlines()] if events.exists() else [0]
    off, off_cpu = (statistics.median(d["lineage off, metrics off"]) for d in (walls, cpus))
    print(f"{args.tasks} tasks per run, {args.repeats} runs per configuration (medians); "
          f"lineage events: median {statistics.median(sizes) / 1024:.1f} KiB each; "
          f"load average {os.getloadavg()[0]:.1f}")
    print("| configuration | run, wall (s) | run, CPU (s) | CPU per task vs off (ms) | "
          "wall per task vs off (ms) | task duration, mean (ms) |")
    print("|---|---:|---:|---:|---:|---:|")
    for name in CONFIGS:
        wall, cpu = statistics.median(walls[name]), statistics.median(cpus[name])
        print(f"| {name} | {wall:.1f} | {cpu:.1f} | {(cpu - off_cpu) / args.tasks * 1000:+.0f} | "
              f"{(wall - off) / args.tasks * 1000:+.0f} | {statistics.median(task_s[name]) * 1000:.0f} |")
    print(json.dumps({"walls": walls, "cpus": cpus, "task_s": task_s}))


if __name__ == "__main__":
    main()

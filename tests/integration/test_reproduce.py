"""Re-runs and backfills reproduce (issue 12), as a new user checks it: `make demo`, then `make reproduce`.

Three months of the cycle (MONTHS=2: July, August and September 2026's runs) at the demo's scale S
(``REPRODUCE_SCALE``: S, or a number of employers for a quicker local run), through real Airflow task
runs (`airflow dags test`), with the source advancing month by month.
`make reproduce` fingerprints every file in the agencies' outboxes and every mart row, re-runs the first
two months' DAG runs one by one, compares, runs `make demo` again from the start, compares again, then
replays the whole range under Airflow's own scheduler in a fresh folder (`airflow backfill create` of
every run on a clock, the asset-scheduled DAGs triggered at the same instants, LocalExecutor,
scripts/backfill.sh) and compares a third time. The outcome checked is
what it prints: the figures compared and zero differences, three times.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCALE = os.environ.get("REPRODUCE_SCALE", "S")  # the demo's scale (about 5,000 employers), or a number
DEADLINE_S = 4200  # about 30 min on the 2-core reference machine
pytestmark = [pytest.mark.airflow, pytest.mark.slow]


def _make(target: str, data_dir: Path, deadline: float) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "RECOUVRA"))}
    cmd = ["make", "--no-print-directory", target, f"SCALE={SCALE}", "MONTHS=2", f"DATA_DIR={data_dir}"]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, start_new_session=True)
    try:
        out, _ = proc.communicate(timeout=deadline)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, _ = proc.communicate()
        pytest.fail(f"make {target} did not end within {deadline:.0f} s: last output:\n{out[-3000:]}")
    finally:
        stop_env = {**env, "RECOUVRA__STORAGE__SFTP_ROOT": str(data_dir / "sftp")}
        subprocess.run([str(ROOT / ".venv/bin/recouvra"), "sftp", "stop"], cwd=ROOT, check=False,
                       capture_output=True, env=stop_env)
        # the demo's Airflow stack (its own sessions: a killed make leaves it), by the PIDs it recorded
        stack = data_dir / "airflow" / "stack"
        if (stack / "pids").is_dir():
            stack_env = {**env, "STACK_DIR": str(stack), "STACK_EXECUTOR": "LocalExecutor",
                         "STACK_AIRFLOW_HOME": str(stack.parent)}
            subprocess.run(["bash", str(ROOT / "scripts" / "stack.sh"), "stop"], cwd=ROOT, check=False,
                           capture_output=True, env=stack_env)
        # the replay's Airflow stack and SFTP server (their own sessions: a killed make leaves them)
        replay = data_dir / "replay"
        if (replay / "stack" / "pids").is_dir():
            subprocess.run(["bash", str(ROOT / "scripts" / "stack.sh"), "stop"], cwd=ROOT, check=False,
                           capture_output=True, env={**env, "STACK_DIR": str(replay / "stack")})
        subprocess.run([str(ROOT / ".venv/bin/recouvra"), "sftp", "stop"], cwd=ROOT, check=False,
                       capture_output=True, env={**env, "RECOUVRA__STORAGE__SFTP_ROOT": str(replay / "sftp")})
    return subprocess.CompletedProcess(cmd, proc.returncode, out, "")


def test_rerunning_two_past_months_then_the_whole_demo_changes_no_file_and_no_mart_row(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    demo = _make("demo", data, DEADLINE_S / 3)
    assert demo.returncode == 0, demo.stdout[-4000:]
    assert "source advanced (synthetic)" in demo.stdout  # the source lived between the months
    run = _make("reproduce", data, DEADLINE_S * 2 / 3)
    assert run.returncode == 0, run.stdout[-6000:]
    figures = re.findall(r"files compared: ([\d,]+); rows compared: ([\d,]+); differences: (\d+)", run.stdout)
    assert len(figures) == 3, run.stdout[-4000:]
    for files, rows, differences in figures:
        assert int(files.replace(",", "")) > 100  # packages, details, manifests, recalls, notices, acks
        assert int(rows.replace(",", "")) > 500
        assert differences == "0", run.stdout[-4000:]
    # the re-runs did run: every DAG of the first two months, through Airflow
    logs = data / "airflow" / "reproduce-logs"
    for dag in ("portfolio_extract", "debtor_master", "collections_reconcile", "assignment_monthly",
                "payments_weekly", "commission_monthly", "kpi_load"):
        assert list(logs.glob(f"{dag}_2026-08-*.log")), dag  # payments: the first Monday from the 4th
    # and the replay ran every run of the three months through the scheduler: backfills of the DAGs on a
    # clock (extraction x3, payments and returns x2), runs triggered at the demo's instants for the others
    # (warehouse_setup; debtor_master, collections_reconcile x3; assignment_monthly, commission_monthly,
    # kpi_load x2: they wait for assets, docs/architecture.md "Data-aware scheduling")
    replay = (logs / "backfill.log").read_text(encoding="utf-8")
    assert replay.count("backfill: ok") >= 3 + 2 * 2, replay[-3000:]
    assert replay.count("trigger: ok") >= 1 + 3 * 2 + 3 * 2, replay[-3000:]
    for month in ("2026-08", "2026-09"):
        assert f"commission_monthly           {month}-02T08:00     trigger: ok" in replay, replay[-3000:]
    for month in ("2026-07", "2026-08", "2026-09"):
        assert f"portfolio_extract            {month}-01T02:00     backfill: ok" in replay, replay[-3000:]

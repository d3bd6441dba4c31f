"""Re-runs and backfills reproduce (issue 12), as a new user checks it: `make demo`, then `make reproduce`.

Three months of the cycle (MONTHS=2: November, December and January's runs) on a small portfolio
(``REPRODUCE_EMPLOYERS``, default 1,500 employers: the mechanics are those of S, in a third of its
time), through real Airflow task runs (`airflow dags test`), with the source advancing month by month.
`make reproduce` fingerprints every file in the agencies' outboxes and every mart row, re-runs the first
two months' DAG runs one by one, compares, runs `make demo` again from the start, compares again. The
outcome checked is what it prints: the figures compared and zero differences, twice.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EMPLOYERS = int(os.environ.get("REPRODUCE_EMPLOYERS", "1500"))
DEADLINE_S = 2400  # about 20 min on the 2-core reference machine
pytestmark = [pytest.mark.airflow, pytest.mark.slow]


def _make(target: str, data_dir: Path, deadline: float) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "RECOUVRA"))}
    cmd = ["make", "--no-print-directory", target, f"SCALE={EMPLOYERS}", "MONTHS=2", f"DATA_DIR={data_dir}"]
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
    return subprocess.CompletedProcess(cmd, proc.returncode, out, "")


def test_rerunning_two_past_months_then_the_whole_demo_changes_no_file_and_no_mart_row(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    demo = _make("demo", data, DEADLINE_S / 2)
    assert demo.returncode == 0, demo.stdout[-4000:]
    assert "source advanced (synthetic)" in demo.stdout  # the source lived between the months
    run = _make("reproduce", data, DEADLINE_S / 2)
    assert run.returncode == 0, run.stdout[-6000:]
    figures = re.findall(r"files compared: ([\d,]+); rows compared: ([\d,]+); differences: (\d+)", run.stdout)
    assert len(figures) == 2, run.stdout[-4000:]
    for files, rows, differences in figures:
        assert int(files.replace(",", "")) > 100  # packages, details, manifests, recalls, notices, acks
        assert int(rows.replace(",", "")) > 500
        assert differences == "0", run.stdout[-4000:]
    # the re-runs did run: every DAG of the first two months, through Airflow
    logs = data / "airflow" / "reproduce-logs"
    for dag in ("portfolio_extract", "debtor_master", "collections_reconcile", "assignment_monthly",
                "payments_weekly", "commission_monthly", "kpi_load"):
        assert (logs / f"{dag}_2026-12-01.log").is_file(), dag

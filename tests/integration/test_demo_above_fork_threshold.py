"""The cycle above the normalisation's forking threshold, as a new user runs it: `make demo`.

At the fund's size (scale M) name normalisation uses worker processes; the demo's S stays below the
threshold, so only a larger portfolio meets them. This test runs the README's command on a trimmed M
(``DEMO_ABOVE_THRESHOLD_EMPLOYERS``, default 60,000 employers: more distinct names than
``PARALLEL_MIN_VALUES``) for its first month and the next month's monthly runs, inside real Airflow task
runs (the demo's own scheduler, LocalExecutor), in a private data folder. A hang fails it: the whole
run has a deadline and its process group is killed when the deadline passes (the demo's Airflow
components, in sessions of their own, are stopped by their PIDs). The outcome checked is what a user sees: the
gate passed, the workers ran inside the task and ended, debtors and dossiers exist, files went out.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
from pathlib import Path

import pytest

from recouvra.airflow_adapter.lineage import month_chain
from recouvra.normalize import PARALLEL_MIN_VALUES
from recouvra.warehouse import connect

ROOT = Path(__file__).resolve().parents[2]
EMPLOYERS = int(os.environ.get("DEMO_ABOVE_THRESHOLD_EMPLOYERS", "60000"))
DEADLINE_S = 1500  # at 60,000 employers the run takes about 5 min on the 2-core reference machine
pytestmark = [pytest.mark.airflow, pytest.mark.slow]


def _make_demo(data_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "RECOUVRA"))}
    # INFO shows the normalisation's own report of its worker processes in the task logs.
    env["AIRFLOW__LOGGING__LOGGING_LEVEL"] = "INFO"
    cmd = ["make", "--no-print-directory", "demo", f"SCALE={EMPLOYERS}", "MONTHS=1", f"DATA_DIR={data_dir}"]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, start_new_session=True)
    try:
        out, _ = proc.communicate(timeout=DEADLINE_S)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, _ = proc.communicate()
        pytest.fail(f"make demo at {EMPLOYERS:,} employers did not end within {DEADLINE_S} s "
                    f"(a hang): last output:\n{out[-3000:]}")
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
    return subprocess.CompletedProcess(cmd, proc.returncode, out, "")


def test_first_month_above_the_forking_threshold_completes_under_airflow(tmp_path: Path) -> None:
    assert EMPLOYERS > PARALLEL_MIN_VALUES
    data = tmp_path / "data"
    run = _make_demo(data)
    assert run.returncode == 0, run.stdout[-4000:]
    out = run.stdout
    for dag in ("portfolio_extract", "debtor_master", "collections_reconcile", "assignment_monthly",
                "payments_weekly", "returns_ingest", "commission_monthly", "kpi_load"):
        assert f"  {dag}" in out and "FAILED" not in out, out[-3000:]

    # Inside the debtor master's task (run by the demo's scheduler: its task log), normalisation ran on
    # worker processes, and the pool ended.
    task_logs = sorted((data / "airflow" / "logs" / "dag_id=debtor_master").rglob(
        "task_id=build_debtor_master/*.log"))
    assert task_logs, "no task log of the debtor master"
    master_log = task_logs[0].read_text(encoding="utf-8", errors="replace")
    assert "worker processes (forkserver)" in master_log and "pool ended" in master_log, master_log[-3000:]

    with connect(f"duckdb:///{data / 'warehouse.duckdb'}") as wh:
        employers = wh.query("SELECT count(*) FROM staging.employers")[0][0]
        debtors = wh.query("SELECT count(*) FROM core.dim_debtor")[0][0]
        dossiers = wh.query("SELECT count(*) FROM core.dossier")[0][0]
    # the first window took every employer, whatever its updated_at; the next month's brought new ones
    first = json.loads((data / "lake" / "employers" / "snapshot_date=2026-07-01" / "_manifest.json")
                       .read_text(encoding="utf-8"))
    assert first["rows"] == EMPLOYERS
    assert employers > EMPLOYERS  # the source advanced through July (recouvra seed --advance-to)
    assert 0.8 * EMPLOYERS < debtors < EMPLOYERS  # duplicates merged, not collapsed
    assert dossiers > 0
    # every agency received its package over SFTP
    outboxes = sorted((data / "sftp").rglob("outbox/CNSS_ASSIGN_*.csv"))
    assert outboxes, "no assignment file was published"

    # The real runs' lineage (OpenLineage provider, scripts/env.sh: data/lineage/events.jsonl): August's
    # chain, from the extraction of the 1st to the report of July's marts rendered on the 3rd.
    events = [json.loads(line) for line in (data / "lineage" / "events.jsonl").read_text().splitlines()]
    chain = month_chain(events, "2026-08")
    assert chain and chain[0][0] == "portfolio_extract.report", chain
    assert chain[-1][0] == "kpi_load.render_report" and chain[-1][2] == "/opt/airflow/data/reports", chain

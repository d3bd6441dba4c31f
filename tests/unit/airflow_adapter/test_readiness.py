"""The ``check_inputs`` task of each DAG: the verdict for the run's day or month, one line in the log,
False (every later task skipped) when the inputs are missing; the pool it takes."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from recouvra.airflow_adapter import readiness
from recouvra.calendar import FUND_TZ, RunDate
from recouvra.config import load_settings
from recouvra.warehouse import connect, migrate_connection

pytestmark = [pytest.mark.unit]

# The demo's instants (Casablanca): the 1st's assignment, the 2nd's statements, the first Monday's notices.
RUNS = {
    "debtor_master": (
        dt.datetime(2026, 8, 1, 2),
        "debtor_master 2026-08-01: nothing done, inputs missing: no extraction of 2026-08-01",
    ),
    "collections_reconcile": (
        dt.datetime(2026, 8, 1, 2),
        "collections_reconcile 2026-08-01: nothing done, inputs missing: no ledger extracted",
    ),
    "assignment_monthly": (
        dt.datetime(2026, 8, 1, 6),
        "assignment_monthly 2026-08: nothing done, inputs missing: the debtor master of 2026-08-01",
    ),
    "commission_monthly": (dt.datetime(2026, 8, 2, 8), "commission_monthly 2026-07: nothing done"),
    "kpi_load": (dt.datetime(2026, 8, 3, 9), "kpi_load 2026-07: nothing done"),
    "payments_weekly": (dt.datetime(2026, 8, 10, 7), "payments_weekly 2026-08-10: nothing done"),
}


@pytest.mark.parametrize("dag_id", sorted(RUNS))
def test_a_run_on_an_empty_lake_and_warehouse_does_nothing_and_says_so(
    dag_id: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # An empty lake of its own: the configuration's default (data/lake) may hold a demo's months.
    monkeypatch.setenv("RECOUVRA__STORAGE__LAKE_DIR", str(tmp_path / "data" / "lake"))
    settings = load_settings()
    url = f"duckdb:///{(tmp_path / 'wh.duckdb').as_posix()}"
    with connect(url) as wh:
        migrate_connection(wh)
    when, line = RUNS[dag_id]
    monkeypatch.setattr(readiness, "settings", lambda: settings)
    monkeypatch.setattr(readiness, "warehouse_url", lambda: url)
    monkeypatch.setattr(readiness, "run_date", lambda: RunDate.at(when.replace(tzinfo=FUND_TZ)))
    assert readiness.inputs_ready(dag_id) is False
    assert capsys.readouterr().out.startswith(line)


def test_a_dag_without_a_check_is_refused(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    url = f"duckdb:///{(tmp_path / 'wh.duckdb').as_posix()}"
    monkeypatch.setattr(readiness, "warehouse_url", lambda: url)
    monkeypatch.setattr(readiness, "run_date", lambda: RunDate.at(dt.datetime(2026, 8, 1, tzinfo=dt.UTC)))
    with pytest.raises(ValueError, match="no input check for DAG 'returns_ingest'"):
        readiness.inputs_ready("returns_ingest")


@pytest.mark.parametrize(
    ("dag_id", "pool"), [("debtor_master", "default_pool"), ("assignment_monthly", "warehouse_writer")]
)
def test_the_check_takes_the_writer_pool_only_when_it_opens_the_warehouse(dag_id: str, pool: str) -> None:
    from airflow.sdk import DAG

    with DAG(dag_id, schedule=None) as dag:
        readiness.check_inputs(dag_id)
    task = dag.get_task("check_inputs")
    assert task.pool == pool
    assert task.ignore_downstream_trigger_rules

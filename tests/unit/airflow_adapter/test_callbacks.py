"""Task callbacks (recouvra.airflow_adapter.callbacks): the alert built from a task's context, the
alerts log beside the lake, and callbacks that never raise."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from recouvra.airflow_adapter import runtime
from recouvra.airflow_adapter.callbacks import alert_from_context, data_root, notify_failure, notify_retry


@pytest.fixture()
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("RECOUVRA__STORAGE__LAKE_DIR", str(tmp_path / "data" / "lake"))
    monkeypatch.delenv("AIRFLOW_CONN_RECOUVRA_ALERTS", raising=False)
    monkeypatch.setenv("AIRFLOW__LOGGING__BASE_LOG_FOLDER", str(tmp_path / "logs"))
    runtime.settings.cache_clear()
    yield tmp_path / "data"
    runtime.settings.cache_clear()


def _context(exception: BaseException | None = None, map_index: int | None = -1) -> dict[str, Any]:
    ti = SimpleNamespace(dag_id="assignment_publish", task_id="publish", run_id="scheduled__2026-11-01",
                         map_index=map_index, try_number=2, log_url="http://airflow/log")
    return {"ti": ti, "dag_run": SimpleNamespace(logical_date=dt.datetime(2026, 11, 1, 5, tzinfo=dt.UTC)),
            "task": SimpleNamespace(retries=3), "exception": exception}


def test_the_alert_names_the_task_its_month_its_try_and_the_error(data_dir: Path) -> None:
    alert = alert_from_context(_context(ValueError("no dossier"), map_index=None), "FAILED")
    assert (alert.kind, alert.dag_id, alert.task_id, alert.run_id) == (
        "FAILED", "assignment_publish", "publish", "scheduled__2026-11-01")
    assert (alert.month, alert.try_number, alert.max_tries, alert.map_index) == ("2026-11", 2, 4, -1)
    assert alert.error == "ValueError: no dossier" and alert.log_url == "http://airflow/log"
    assert alert.log_path == str(data_dir.parent / "logs" / "dag_id=assignment_publish"
                                 / "run_id=scheduled__2026-11-01" / "task_id=publish" / "attempt=2.log")
    mapped = alert_from_context(_context(map_index=3), "RETRY")
    assert mapped.map_index == 3 and mapped.error == "(no exception in context)"


def test_retries_and_failures_go_to_the_alerts_log_beside_the_lake(data_dir: Path) -> None:
    assert data_root() == data_dir
    notify_retry(_context(TimeoutError("sftp slow")))
    notify_failure(_context(RuntimeError("gate failed")))
    lines = (data_dir / "alerts.log").read_text(encoding="utf-8").splitlines()
    assert [line.split(" ")[1] for line in lines] == ["RETRY", "FAILED"]
    assert "dag=assignment_publish task=publish month=2026-11" in lines[0]
    assert lines[0].endswith("error=TimeoutError: sftp slow")
    assert lines[1].endswith("error=RuntimeError: gate failed")


def test_a_callback_never_raises_even_on_a_broken_context(data_dir: Path) -> None:
    notify_failure({})
    notify_retry({"ti": None})
    assert not (data_dir / "alerts.log").exists()

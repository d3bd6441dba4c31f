"""scripts/scheduler_run.py against a stand-in of Airflow's REST API: closing an idle backfill that the
scheduler completes in the meantime is not an error (CI once failed on the 409 Airflow answers then)."""

from __future__ import annotations

import importlib.util
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("scheduler_run", ROOT / "scripts" / "scheduler_run.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class _Airflow(BaseHTTPRequestHandler):
    """One DAG with no run going and one open backfill; cancelling it answers ``cancel_status``."""

    cancel_status = 409
    calls: list[tuple[str, str]] = []

    def _answer(self, status: int, body: Any) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self) -> None:  # noqa: N802 (http.server's name)
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.calls.append(("POST", self.path))
        self._answer(201, {"access_token": "t"})

    def do_GET(self) -> None:  # noqa: N802
        self.calls.append(("GET", self.path))
        if "/dagRuns" in self.path:
            self._answer(200, {"dag_runs": [], "total_entries": 0})
        else:
            self._answer(200, {"backfills": [{"id": 7, "completed_at": None}], "total_entries": 1})

    def do_PUT(self) -> None:  # noqa: N802
        self.calls.append(("PUT", self.path))
        if self.cancel_status == 200:
            self._answer(200, {"id": 7, "completed_at": "2026-12-04T00:00:00Z"})
        else:
            self._answer(self.cancel_status, {"detail": "Backfill is already completed."})

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def api(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[ModuleType, Any]]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Airflow)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    (tmp_path / "secrets.env").write_text("STACK_PASSWORD=secret\n")
    monkeypatch.setenv("STACK_DIR", str(tmp_path))
    monkeypatch.setenv("STACK_PORT", str(server.server_address[1]))
    module = _module()
    monkeypatch.setattr(module.time, "sleep", lambda _s: None)
    _Airflow.calls = []
    try:
        yield module, module.Api()
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("status", [200, 409])
def test_an_idle_backfill_is_cancelled_or_found_completed_meanwhile(
    api: tuple[ModuleType, Any], status: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    module, client = api
    monkeypatch.setattr(_Airflow, "cancel_status", status)
    module.close_idle_backfills(client, "portfolio_extract")
    assert ("PUT", "/api/v2/backfills/7/cancel") in _Airflow.calls


def test_any_other_refusal_to_cancel_ends_the_run_with_what_airflow_said(
    api: tuple[ModuleType, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    module, client = api
    monkeypatch.setattr(_Airflow, "cancel_status", 403)
    with pytest.raises(SystemExit, match=r"PUT /api/v2/backfills/7/cancel: HTTP 403"):
        module.close_idle_backfills(client, "portfolio_extract")

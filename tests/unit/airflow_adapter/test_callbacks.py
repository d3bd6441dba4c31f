"""Task callbacks (recouvra.airflow_adapter.callbacks): the alert built from a task's context, the
alerts log beside the lake, and callbacks that never raise."""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from recouvra.airflow_adapter import runtime
from recouvra.airflow_adapter.callbacks import (
    _summarise_in,
    alert_from_context,
    data_root,
    notifier_for,
    notify_failure,
    notify_retry,
)
from recouvra.operations import Channel


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


def test_an_asset_triggered_run_s_alert_names_the_month_of_its_triggering_events(data_dir: Path) -> None:
    from airflow.sdk import Asset

    context = _context(RuntimeError("integrity"))
    # queued on the 1st of December (Casablanca) by the recalls the extraction of 30 November led to
    queued = dt.datetime(2026, 11, 30, 23, 30, tzinfo=dt.UTC)
    context["dag_run"] = SimpleNamespace(logical_date=None, run_after=queued)
    context["triggering_asset_events"] = {
        Asset(name="recalls"): [SimpleNamespace(extra={"logical_date": "2026-11-30T02:00:00+01:00"})]}
    assert alert_from_context(context, "FAILED").month == "2026-11"
    context["triggering_asset_events"] = {}
    assert alert_from_context(context, "FAILED").month == "2026-12"


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


UTC = dt.UTC
LOGICAL = dt.datetime(2026, 10, 31, 23, tzinfo=UTC)  # 2026-11-01 00:00 in Casablanca
ENDED = dt.datetime(2026, 12, 3, 3, 12, 30, tzinfo=UTC)


def _finished_run(triggered_by: str, start: dt.datetime) -> SimpleNamespace:
    """A finished warehouse_setup run as the listener gets it: the run, its task instances, their XComs."""
    tis = [SimpleNamespace(task_id="migrate_warehouse", state="success", try_number=1, map_index=-1,
                           duration=4.1, log_url="http://a/m", end_date=ENDED - dt.timedelta(seconds=0.1)),
           SimpleNamespace(task_id="verify_warehouse", state="success", try_number=1, map_index=-1,
                           duration=0.1, log_url="http://a/v", end_date=ENDED)]
    return SimpleNamespace(
        dag_id="warehouse_setup", run_id="manual__2026-12-03T03:12:25.349541+00:00", state="success",
        logical_date=LOGICAL, run_after=ENDED, start_date=start, end_date=ENDED + dt.timedelta(seconds=0.2),
        triggered_by=SimpleNamespace(value=triggered_by), get_task_instances=lambda session: tis,
    )


@pytest.mark.parametrize(
    ("triggered_by", "start", "started", "took"),
    [  # `airflow dags test warehouse_setup 2026-11-01` on 2026-12-03: Airflow stamps the run's start
        # with its logical date, a month before it ran; the run is timed from its tasks instead.
        ("test", LOGICAL, "2026-12-03 03:12:25 UTC", "(4.4 s)"),
        # A scheduled run keeps the start the scheduler gave it (its first task waited for a slot).
        ("timetable", ENDED - dt.timedelta(seconds=40), "2026-12-03 03:11:50 UTC", "(40.2 s)"),
    ],
)
def test_the_run_summary_times_the_run_from_when_it_really_started(
    data_dir: Path, triggered_by: str, start: dt.datetime, started: str, took: str,
) -> None:
    xcoms = [SimpleNamespace(task_id="verify_warehouse", map_index=-1, value={"core": 27, "meta": 2})]
    session = SimpleNamespace(scalars=lambda query: xcoms)
    xcom_model = SimpleNamespace(get_many=lambda **kw: "query", deserialize_value=lambda x: x.value)
    path = _summarise_in(_finished_run(triggered_by, start), session, xcom_model)
    assert path == data_dir / "runs" / "warehouse_setup" / "manual__2026-12-03T03_12_25.349541_00_00.md"
    md = path.read_text(encoding="utf-8")
    assert f"- started: {started}\n" in md, md
    assert f"- ended: 2026-12-03 03:12:30 UTC {took}\n" in md, md
    assert "- month: 2026-11" in md and "- verify_warehouse: core 27, meta 2" in md


@pytest.fixture()
def webhook() -> Iterator[tuple[int, list[tuple[str, dict[str, Any]]]]]:
    """A Slack-like incoming webhook on loopback: (port, [(path, JSON body), ...])."""
    received: list[tuple[str, dict[str, Any]]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's name)
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            received.append((self.path, body))
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: Any) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server.server_port, received
    finally:
        server.shutdown()
        server.server_close()


def test_a_failure_goes_through_the_slack_providers_webhook_notifier(
    data_dir: Path, webhook: tuple[int, list[tuple[str, dict[str, Any]]]], monkeypatch: pytest.MonkeyPatch,
) -> None:
    port, received = webhook
    monkeypatch.setenv("AIRFLOW_CONN_RECOUVRA_ALERTS", json.dumps(
        {"conn_type": "slackwebhook", "host": f"http://127.0.0.1:{port}", "password": "T0/B0/hook-token"}))
    notify_retry(_context(TimeoutError("sftp slow")))  # a retry: the alerts log only
    notify_failure(_context(RuntimeError("gate failed")))
    ((path, body),) = received
    assert path == "/T0/B0/hook-token"  # the token addresses the webhook, never the message
    assert "hook-token" not in json.dumps(body)
    assert body["text"].startswith("*[recouvra] assignment_publish.publish failed")
    for part in ("DAG:      assignment_publish", "run:      scheduled__2026-11-01", "log URL:  http://airflow/log"):
        assert part in body["text"], body
    assert (data_dir / "alerts.log").read_text().count("\n") == 2


def test_notifiers_are_the_providers_and_a_dead_webhook_is_a_channel_error(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    from airflow.providers.slack.notifications.slack import SlackNotifier
    from airflow.providers.slack.notifications.slack_webhook import SlackWebhookNotifier
    from airflow.providers.smtp.notifications.smtp import SmtpNotifier

    alert = alert_from_context(_context(RuntimeError("x")), "FAILED")
    assert isinstance(notifier_for(Channel("slackwebhook"), alert), SlackWebhookNotifier)
    slack = notifier_for(Channel("slack", {"channel": "#ops"}), alert)
    assert isinstance(slack, SlackNotifier) and slack.channel == "#ops"
    mail = notifier_for(Channel("smtp", {"to": "ops@cnss.ma", "from_email": "airflow@cnss.ma"}), alert)
    assert isinstance(mail, SmtpNotifier) and mail.to == ["ops@cnss.ma"]
    assert mail.subject == alert.subject and "RuntimeError: x" in mail.html_content

    monkeypatch.setenv("AIRFLOW_CONN_RECOUVRA_ALERTS", json.dumps(
        {"conn_type": "slackwebhook", "host": "http://127.0.0.1:1", "password": "T0/B0/hook-token"}))
    notify_failure(_context(RuntimeError("gate failed")))  # nothing listens on port 1: no raise
    lines = (data_dir / "alerts.log").read_text().splitlines()
    assert " FAILED " in lines[0] and "CHANNEL_ERROR channel=slack_webhook" in lines[1]
    assert "hook-token" not in "\n".join(lines)


def test_an_asset_triggered_run_s_summary_names_the_month_of_its_triggering_events(data_dir: Path) -> None:
    # No logical date: queued on 2026-12-03 by the events of the extraction of 2026-08-01 02:00.
    run = _finished_run("asset", ENDED)
    run.logical_date = None
    run.consumed_asset_events = [SimpleNamespace(extra={"logical_date": "2026-08-01T02:00:00+01:00"})]
    session = SimpleNamespace(scalars=lambda query: [])
    xcom_model = SimpleNamespace(get_many=lambda **kw: "query", deserialize_value=lambda x: x.value)
    md = _summarise_in(run, session, xcom_model).read_text(encoding="utf-8")
    assert "- month: 2026-08" in md, md

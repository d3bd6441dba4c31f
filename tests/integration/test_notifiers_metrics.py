"""Alerts through the providers' notifiers and metrics through StatsD, with Airflow itself
(``airflow dags test``, private AIRFLOW_HOME, scripts/env.sh): a task that fails after a retry posts one
message to a Slack incoming webhook (the ``recouvra_alerts`` connection, pointing at an HTTP server of
the test) carrying the DAG, task, run and log URL and no secret; and Airflow's metrics reach a StatsD
listener of the test (recouvra.operations.StatsdListener)."""

from __future__ import annotations

import json
import os
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest

from recouvra.operations import StatsdListener

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.airflow, pytest.mark.slow]

SECRET = "Pr0be-S3cret-7d1f"  # the password of a connection the failing task reads
HOOK_TOKEN = "T0PROBE/B0PROBE/hook-token-5a9c"  # the webhook's secret path

PROBE_DAG = '''
"""
### ops_probe

A task that counts, and one that fails naming a connection's password: the alert must not carry it.
"""
from __future__ import annotations

import datetime as dt

from airflow.sdk import BaseHook, dag, task

from recouvra.airflow_adapter import DEFAULT_ARGS, START_DATE


@dag(schedule=None, start_date=START_DATE, catchup=False, tags=["test"],
     default_args={**DEFAULT_ARGS, "retries": 1, "retry_delay": dt.timedelta(seconds=0),
                   "retry_exponential_backoff": False},
     doc_md=__doc__)
def ops_probe() -> None:
    @task
    def count_rows() -> dict:
        return {"table": "employers", "rows": 12}

    @task
    def publish(counted: dict) -> None:
        password = BaseHook.get_connection("recouvra_probe_agency").password
        raise RuntimeError(f"agency AG01 refused login with password {password}")

    publish(count_rows())


ops_probe()
'''


@pytest.fixture()
def webhook() -> Iterator[tuple[int, list[tuple[str, dict[str, Any]]]]]:
    """A Slack-like incoming webhook on loopback: (port, [(path, JSON body), ...])."""
    received: list[tuple[str, dict[str, Any]]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's name)
            received.append((self.path, json.loads(self.rfile.read(int(self.headers["Content-Length"])))))
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


def test_a_failure_posts_through_the_slack_notifier_and_metrics_reach_statsd(
    tmp_path: Path, webhook: tuple[int, list[tuple[str, dict[str, Any]]]]
) -> None:
    port, received = webhook
    dags = tmp_path / "dags"
    dags.mkdir()
    (dags / "ops_probe.py").write_text(PROBE_DAG)
    home = tmp_path / "data" / "airflow"
    home.mkdir(parents=True)
    lake = tmp_path / "data" / "lake"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "RECOUVRA", "OPENLINEAGE"))}
    env.update({
        "AIRFLOW_HOME": str(home), "AIRFLOW__CORE__DAGS_FOLDER": str(dags),
        "RECOUVRA__STORAGE__LAKE_DIR": str(lake),
        "AIRFLOW_CONN_RECOUVRA_ALERTS": json.dumps(
            {"conn_type": "slackwebhook", "host": f"http://127.0.0.1:{port}", "password": HOOK_TOKEN}),
        "AIRFLOW_CONN_RECOUVRA_PROBE_AGENCY": json.dumps({"conn_type": "sftp", "password": SECRET}),
    })

    def airflow(args: str, **extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["bash", "-c", f"source {ROOT}/scripts/env.sh && airflow {args}"],
                              env={**env, **extra}, cwd=tmp_path, capture_output=True, text=True,
                              timeout=600, check=False)

    migrated = airflow("db migrate")
    assert migrated.returncode == 0, migrated.stdout[-3000:] + migrated.stderr[-3000:]
    with StatsdListener() as statsd:
        run = airflow("dags test ops_probe 2026-08-03T09:00:00+01:00",
                      AIRFLOW__METRICS__STATSD_PORT=str(statsd.port))
    out = run.stdout[-4000:] + run.stderr[-4000:]

    # One message, the failure (a retry is for the alerts log), posted to the webhook's secret path.
    assert len(received) == 1, (received, out)
    path, body = received[0]
    assert path == "/" + HOOK_TOKEN
    text = body["text"]
    assert text.startswith("*[recouvra] ops_probe.publish failed (month 2026-08, try 2)*"), text
    for part in ("DAG:      ops_probe", "task:     publish", "run:      manual__", "try:      2 of 2",
                 "log URL:  http://", "/dags/ops_probe/runs/", "agency AG01 refused login with password ***"):
        assert part in text, text
    assert SECRET not in json.dumps(body) and "hook-token" not in json.dumps(body)
    alerts = (tmp_path / "data" / "alerts.log").read_text()
    assert [line.split(" ")[1] for line in alerts.splitlines()] == ["RETRY", "FAILED"], alerts
    assert SECRET not in alerts

    # Airflow's own metrics, as a StatsD server (statsd-exporter in compose) receives them.
    names = {m.name for m in statsd.metrics()}
    for name in ("airflow.ti.start.ops_probe.count_rows", "airflow.ti.finish.ops_probe.count_rows.success",
                 "airflow.ti.finish.ops_probe.publish.failed", "airflow.ti_successes", "airflow.ti_failures",
                 "airflow.task.duration"):
        assert name in names, sorted(names)

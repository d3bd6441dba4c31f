"""The Airflow UI shows the work: headless Chromium signs in to a real api-server and finds the monthly
report, the latest Data Docs and a run summary through the plugin (menu *Browse > Recouvra reports*).

Cheap inputs, no demo: the June report of test_report_chromium's synthetic programme (KPIs on DuckDB,
about 2 s), the Data Docs of a one-table quality gate (test_quality's snapshot, about 4 s), one run
summary. Airflow: ``airflow db migrate`` on SQLite in a private AIRFLOW_HOME, then the api-server alone
(simple auth manager, one user whose password the test writes), stopped by its PID. Chromium is driven
through its DevTools protocol (the ``websockets`` client Airflow already installs): it signs in through
the login form, opens the menu entry and reads the plugin's page in the UI's iframe. The same server
then answers raw requests: nothing without a login, nothing outside the configured folders.
"""

from __future__ import annotations

import contextlib
import http.client
import importlib.util
import itertools
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from types import ModuleType
from typing import Any

import psutil
import pytest

from recouvra.browse import Folders
from recouvra.operations import RunFacts, TaskOutcome, write_run_summary
from recouvra.quality import validate_snapshots

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.airflow, pytest.mark.slow]
USER, PASSWORD = "analyst", "ui-test-password"  # a viewer: reading needs no more
OPERATOR, OPERATOR_PASSWORD = "operator", "ui-test-operator"  # an admin, to trigger a run
RUN_ID = "scheduled__2026-06-01T00:00:00+00:00"
GX_RUN = "scheduled__2026-06-02T01:00:00+00:00"
STEP_TIMEOUT_S = 60
#: DevTools' answers to an evaluation the page's navigation cut short (a slow machine hits them while
#: a page loads): polled again, like an element not there yet.
_NAVIGATING = ("Inspected target navigated or closed", "Execution context was destroyed",
               "Cannot find context with specified id")


def _sibling(name: str, path: Path) -> ModuleType:
    """A test module of this suite, for its fixtures' builders (tests/ is not a package)."""
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def _missing(pytestconfig: pytest.Config, what: str, how: str) -> None:
    """tests/conftest.py's ``missing_component``: skip locally, fail under CI=true."""
    root_conftest = ROOT / "tests" / "conftest.py"
    for plugin in pytestconfig.pluginmanager.get_plugins():
        if getattr(plugin, "__file__", None) and Path(plugin.__file__).resolve() == root_conftest:
            plugin.missing_component(what, how)
            return
    raise RuntimeError(f"{root_conftest} is not loaded")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _stop(proc: subprocess.Popen[bytes]) -> list[int]:
    """Stop a process started in its own session, and its children, by PID; the PIDs still alive."""
    try:
        members = [proc.pid] + [c.pid for c in psutil.Process(proc.pid).children(recursive=True)]
    except psutil.NoSuchProcess:
        members = [proc.pid]
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        alive = [p for p in members if psutil.pid_exists(p) and psutil.Process(p).status() != "zombie"]
        if not alive:
            return []
        time.sleep(0.2)
    return alive


# --------------------------------------------------------------------------- the outputs to show


@dataclass(frozen=True)
class Outputs:
    folders: Folders
    dossiers_placed: int
    recovered: Decimal


def _make_outputs(data: Path) -> Outputs:
    """The June report, the Data Docs of one gate run, one run summary, under ``data`` as the demo lays
    them out (reports/, gx/, runs/ beside lake/)."""
    from recouvra.kpi import load_kpi_months
    from recouvra.report import render_report
    from recouvra.warehouse import connect

    report_test = _sibling("ui_report_fixture", ROOT / "tests" / "integration" / "test_report_chromium.py")
    quality_test = _sibling("ui_quality_fixture", ROOT / "tests" / "unit" / "test_quality.py")
    folders = Folders(data / "reports", data / "gx", data / "runs")
    june = report_test.MONTHS[-1]
    with connect(f"duckdb:///{(data / 'warehouse.duckdb').as_posix()}") as wh:
        report_test.synthetic_programme(wh)
        load_kpi_months(wh, report_test.MONTHS[0], june)
        render_report(wh, june, folders.reports)
        recovered = wh.query(
            "SELECT sum(recovered_to_date) FROM marts.v_agency_league WHERE as_of_month = CAST(? AS DATE)",
            [june],
        )[0][0]
    lake = data / "lake"
    gate = validate_snapshots(
        [quality_test._employers(lake, "1000001", "1000002")],
        lake,
        {"employers": {"rows": 2}},
        folders.data_docs,
        GX_RUN,
    )
    assert gate.success and gate.docs_index
    tasks = [
        TaskOutcome("load_kpis", "success", 1, value={"kpi_agency_month": 24}),
        TaskOutcome("render_report", "success", 1),
    ]
    write_run_summary(RunFacts("kpi_load", RUN_ID, "success", "2026-06", None, None, tasks), folders.runs)
    (data / "secret.txt").write_text("the warehouse password", encoding="utf-8")
    return Outputs(folders, len(report_test.AGENCIES) * 25 * len(report_test.MONTHS), Decimal(recovered))


def _mad(v: Decimal) -> str:
    return f"{v:,.2f}".replace(",", "\u202f") + " MAD"


# --------------------------------------------------------------------------- Airflow's api-server


@dataclass(frozen=True)
class Server:
    base: str
    log: Path

    def token(self, user: str = USER, password: str = PASSWORD) -> str:
        req = urllib.request.Request(
            f"{self.base}/auth/token",
            data=json.dumps({"username": user, "password": password}).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(req, timeout=30) as r:
            return str(json.load(r)["access_token"])

    def trigger(self, dag_id: str, run_id: str, logical_date: str) -> None:
        """Create a DAG run through the REST API (as the operator)."""
        req = urllib.request.Request(
            f"{self.base}/api/v2/dags/{dag_id}/dagRuns",
            data=json.dumps({"dag_run_id": run_id, "logical_date": logical_date}).encode(),
            headers={
                "Content-Type": "application/json",
                "Authorization": f"Bearer {self.token(OPERATOR, OPERATOR_PASSWORD)}",
            },
            method="POST",
        )
        with urllib.request.urlopen(req, timeout=30) as r:
            assert r.status == 200, r.read()[:500]

    def raw_get(self, path: str, token: str | None = None) -> tuple[int, str]:
        """GET with the path sent as is (no client-side normalisation of ``..`` or escapes)."""
        host, port = self.base.removeprefix("http://").split(":")
        conn = http.client.HTTPConnection(host, int(port), timeout=30)
        conn.request("GET", path, headers={"Authorization": f"Bearer {token}"} if token else {})
        answer = conn.getresponse()
        body = answer.read().decode("utf-8", "replace")
        conn.close()
        return answer.status, body


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> Outputs:
    return _make_outputs(tmp_path_factory.mktemp("ui") / "data")


@pytest.fixture(scope="module")
def server(outputs: Outputs, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    home = tmp_path_factory.mktemp("airflow-home")
    data = outputs.folders.reports.parent
    (home / "passwords.json").write_text(
        json.dumps({USER: PASSWORD, OPERATOR: OPERATOR_PASSWORD}), encoding="utf-8"
    )
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "RECOUVRA__"))}
    env.update(
        {
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__API__HOST": "127.0.0.1",
            "AIRFLOW__API__PORT": str(port),
            "AIRFLOW__API__WORKERS": "1",
            "AIRFLOW__API__BASE_URL": f"http://127.0.0.1:{port}",
            "AIRFLOW__API_AUTH__JWT_SECRET": os.urandom(32).hex(),  # 64 characters: HS512 wants 64 bytes
            "AIRFLOW__CORE__AUTH_MANAGER": (
                "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager"
            ),
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": f"{USER}:viewer,{OPERATOR}:admin",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(home / "passwords.json"),
            # What the plugin serves: the configuration's folders, as kpi_load and the gate write them.
            "RECOUVRA__STORAGE__REPORTS_DIR": str(outputs.folders.reports),
            "RECOUVRA__STORAGE__LAKE_DIR": str(data / "lake"),
        }
    )
    airflow = f"source {ROOT}/scripts/env.sh && exec airflow"
    migrated = subprocess.run(
        ["bash", "-c", f"{airflow} db migrate"],
        env=env,
        cwd=home,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert migrated.returncode == 0, migrated.stdout[-3000:] + migrated.stderr[-3000:]
    # The DAGs in the metadata database (no dag-processor runs here), so a DAG run can be created.
    parsed = subprocess.run(
        ["bash", "-c", f"{airflow} dags reserialize"],
        env=env,
        cwd=home,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert parsed.returncode == 0, parsed.stdout[-3000:] + parsed.stderr[-3000:]
    log = home / "api-server.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            ["bash", "-c", f"{airflow} api-server --port {port}"],
            env=env,
            cwd=home,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 120
        while True:
            assert proc.poll() is None, f"api-server exited:\n{log.read_text()[-3000:]}"
            try:
                with urllib.request.urlopen(f"{base}/api/v2/monitor/health", timeout=5):
                    break
            except OSError:
                assert time.monotonic() < deadline, f"api-server not up in 120 s:\n{log.read_text()[-3000:]}"
                time.sleep(1)
        yield Server(base, log)
    finally:
        left = _stop(proc)
        assert not left, f"api-server processes left: {left}"


# --------------------------------------------------------------------------- Chromium, by DevTools


class Browser:
    """Headless Chromium on one page, driven through the DevTools protocol."""

    def __init__(self, exe: str, profile: Path) -> None:
        from websockets.sync.client import connect

        flags = [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--window-size=1280,1000",
            "--remote-debugging-port=0",
            f"--user-data-dir={profile}",
        ]
        self.proc = subprocess.Popen(
            [exe, *flags, "about:blank"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        port_file = profile / "DevToolsActivePort"
        deadline = time.monotonic() + 30
        while not port_file.is_file() or not port_file.read_text().strip():
            assert self.proc.poll() is None and time.monotonic() < deadline, "Chromium did not start"
            time.sleep(0.1)
        port = port_file.read_text().split()[0]
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10) as r:
            page = next(t for t in json.load(r) if t["type"] == "page")
        # entered as a context (websockets deprecates a connection used without one); close() leaves it
        self._socket = connect(page["webSocketDebuggerUrl"], max_size=None, open_timeout=10).__enter__()
        self._ids = itertools.count(1)

    def call(self, method: str, *, navigating_ok: bool = False, **params: Any) -> dict[str, Any]:
        n = next(self._ids)
        self._socket.send(json.dumps({"id": n, "method": method, "params": params}))
        while True:  # events in between are not needed
            message = json.loads(self._socket.recv(timeout=STEP_TIMEOUT_S))
            if message.get("id") == n:
                if navigating_ok and "error" in message and any(
                    why in message["error"].get("message", "") for why in _NAVIGATING
                ):
                    return {"exceptionDetails": message["error"]}
                assert "error" not in message, f"{method}: {message['error']}"
                return dict(message["result"])

    def js(self, expression: str) -> Any:
        result = self.call("Runtime.evaluate", navigating_ok=True, expression=expression,
                           returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in result:
            return None  # not there yet (the page is loading, or navigated while it was evaluated)
        return result["result"].get("value")

    def wait(self, expression: str, what: str) -> Any:
        deadline = time.monotonic() + STEP_TIMEOUT_S
        while (value := self.js(expression)) in (None, False, "", []):
            if time.monotonic() > deadline:
                page = self.js("location.href + '\\n' + document.body.innerText.slice(0, 1500)")
                raise AssertionError(f"{what}: not seen in {STEP_TIMEOUT_S} s; page:\n{page}")
            time.sleep(0.25)
        return value

    def type_into(self, selector: str, text: str) -> None:
        """Focus a field and type, as a user does (the form's own input events fire)."""
        assert self.js(
            f"(() => {{ const e = document.querySelector({json.dumps(selector)}); "
            "if (!e) return false; e.focus(); return true; })()"
        ), selector
        self.call("Input.insertText", text=text)

    def click(self, expression: str, what: str) -> None:
        """Click the element ``expression`` finds (wait for it first)."""
        self.wait(
            f"(() => {{ const e = {expression}; if (!e) return false; e.click(); return true; }})()", what
        )

    def close(self) -> list[int]:
        self._socket.__exit__(None, None, None)
        return _stop(self.proc)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def chromium(pytestconfig: pytest.Config) -> str:
    """The browser, checked before Airflow is started for nothing."""
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if exe is None:
        _missing(
            pytestconfig, "Chromium", "apt-get install chromium (scripts/system-deps.sh does it as root)"
        )
    assert exe
    return exe


#: The plugin's page inside the UI: the document of the iframe the UI renders for an external view.
FRAME = "document.querySelector('iframe[title=\"Recouvra reports\"]')?.contentDocument"


def test_the_ui_shows_the_report_the_data_docs_and_a_run_summary(
    chromium: str, server: Server, outputs: Outputs, tmp_path: Path
) -> None:
    browser = Browser(chromium, tmp_path / "chromium-profile")
    try:
        # Sign in through the simple auth manager's form, as a user would.
        browser.call("Page.navigate", url=f"{server.base}/")
        browser.wait("!!document.querySelector('input[name=username]')", "the login form")
        browser.type_into("input[name=username]", USER)
        browser.type_into("input[name=password]", PASSWORD)
        browser.click("document.querySelector('button[type=submit]:not([disabled])')", "the sign-in button")
        # The menu Browse holds the plugin's entry; it opens the plugin's page in the UI.
        browser.click("document.querySelector('button[aria-label=Browse]')", "the Browse menu")
        browser.click(
            "Array.from(document.querySelectorAll('[role=menuitem]')).find(e => e.innerText.trim() === "
            "'Recouvra reports')?.querySelector('a') ?? Array.from(document.querySelectorAll('a')).find("
            "e => e.innerText.trim() === 'Recouvra reports')",
            "the menu entry Browse > Recouvra reports",
        )
        assert browser.wait(f"{FRAME}?.body?.innerText.includes('Monthly reports')", "the plugin's page")
        assert browser.js("location.pathname").startswith("/plugin/recouvra")
        months = browser.js(
            f"Array.from({FRAME}.querySelectorAll('a[href^=\"reports/\"]')).map(a => a.innerText)"
        )
        assert months == ["2026-06"]

        # The month's report, inside the UI: its title and its headline figures.
        browser.click(f"{FRAME}?.querySelector('a[href=\"reports/2026-06\"]')", "the June report's link")
        h1 = f"{FRAME}?.querySelector('h1')?.innerText"
        title = browser.wait(f"{h1}?.includes('2026-06') && {h1}", "the report's title")
        assert title == "Recouvra: amicable recovery programme, 2026-06"
        cards = browser.js(
            f"Object.fromEntries(Array.from({FRAME}.querySelectorAll('.card')).map("
            "c => [c.querySelector('.k').innerText, c.querySelector('.v').innerText]))"
        )
        assert cards["Dossiers placed"] == str(outputs.dossiers_placed) == "600"
        assert cards["Recovered (attributed)"] == _mad(outputs.recovered)
        assert browser.js("location.pathname") == "/plugin/recouvra/recouvra/reports/2026-06"  # a deep link

        # Back to the list: the latest Data Docs and one of their validation pages.
        browser.call("Page.navigate", url=f"{server.base}/plugin/recouvra")
        browser.click(f"{FRAME}?.querySelector('a[href=\"data-docs/latest/\"]')", "the latest Data Docs link")
        assert browser.wait(
            f"{FRAME}?.title === 'Data Docs created by Great Expectations'", "the Data Docs index"
        )
        browser.call("Page.navigate", url=f"{server.base}/plugin/recouvra")
        browser.click(
            f"Array.from({FRAME}?.querySelectorAll('a') ?? []).find(a => a.innerText === 'employers.rows')",
            "employers.rows",
        )
        page = browser.wait(
            f"{FRAME}?.body?.innerText.includes('Expectation Validation Result') && {FRAME}.body.innerText",
            "the validation page",
        )
        assert "employers.rows" in page and "Succeeded" in page

        # A DAG run's tab "Run summary": before the run ends, it says so; once the listener has written
        # the summary, the tab shows it. (No scheduler here: the triggered run stays queued.)
        run_id = "manual__2026-07-01T00:00:00+00:00"
        server.trigger("kpi_load", run_id, "2026-07-01T00:00:00Z")
        browser.call("Page.navigate", url=f"{server.base}/dags/kpi_load/runs/{run_id}")
        browser.click(
            "Array.from(document.querySelectorAll('a')).find(a => a.innerText.trim() === 'Run summary')",
            "the DAG run's tab Run summary",
        )
        tab = "document.querySelector('iframe[title=\"Run summary\"]')?.contentDocument?.body?.innerText"
        assert "No summary of this run yet" in browser.wait(
            f"{tab}?.includes('summary') && {tab}", "the empty tab"
        )
        facts = RunFacts(
            "kpi_load", run_id, "success", "2026-07", None, None, [TaskOutcome("render_report", "success", 1)]
        )
        write_run_summary(facts, outputs.folders.runs)
        browser.call("Page.reload")
        tab_text = browser.wait(f"{tab}?.includes('SUCCESS') && {tab}", "the run's summary in its tab")
        assert f"run: {run_id}" in tab_text and "month: 2026-07" in tab_text

        # The summaries are listed on the plugin's page too.
        browser.call("Page.navigate", url=f"{server.base}/plugin/recouvra")
        browser.click(
            f"{FRAME}?.querySelector('a[href=\"runs/kpi_load/scheduled__2026-06-01T00_00_00_00_00\"]')",
            "the kpi_load run summary link",
        )
        summary = browser.wait(
            f"{FRAME}?.querySelector('h1')?.innerText.startsWith('kpi_load') && {FRAME}.body.innerText",
            "the run summary",
        )
        assert "kpi_load — SUCCESS" in summary and "render_report" in summary and "month: 2026-06" in summary
    finally:
        left = browser.close()
    assert not left, f"Chromium processes left: {left}"


def test_the_plugin_serves_nothing_without_a_login_nor_outside_its_folders(
    server: Server, outputs: Outputs
) -> None:
    for path in ("/recouvra/", "/recouvra/reports/2026-06", f"/recouvra/runs/kpi_load/{RUN_ID}"):
        status, body = server.raw_get(path)
        assert status == 401 and "2026-06" not in body, path
    token = server.token()
    status, body = server.raw_get("/recouvra/reports/2026-06", token)
    assert status == 200 and "Recouvra: amicable recovery programme, 2026-06" in body
    site = "/recouvra/data-docs/scheduled__2026-06-02T01_00_00_00_00"
    for path in (
        "/recouvra/reports/../secret.txt",
        "/recouvra/reports/..%2Fsecret.txt",
        "/recouvra/reports/..%2F..%2Fsecret.txt",
        f"{site}/../../../../../../secret.txt",
        f"{site}/..%2F..%2F..%2F..%2F..%2F..%2Fsecret.txt",
        f"{site}/%2e%2e/%2e%2e/%2e%2e/great_expectations.yml",
        f"{site}/%2Fetc%2Fpasswd",
        "/recouvra/data-docs/..%2F..%2F/secret.txt",
        "/recouvra/runs/..%2F..%2F/secret",
        "/recouvra/runs/kpi_load/..%2F..%2F..%2Fsecret",
    ):
        status, body = server.raw_get(path, token)
        assert status == 404 and "warehouse password" not in body and "root:" not in body, (path, status)
    # Read-only: no method but GET.
    host, port = server.base.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=30)
    conn.request("PUT", "/recouvra/reports/2026-06", body=b"x", headers={"Authorization": f"Bearer {token}"})
    assert conn.getresponse().status == 405
    conn.close()
    # The UI knows the plugin's two entries: the menu page and the DAG-run tab.
    req = urllib.request.Request(
        f"{server.base}/api/v2/plugins", headers={"Authorization": f"Bearer {token}"}
    )
    with urllib.request.urlopen(req, timeout=30) as r:
        plugins = {p["name"]: p for p in json.load(r)["plugins"]}
    views = {v["name"]: v for v in plugins["recouvra_views"]["external_views"]}
    assert (
        views["Recouvra reports"]["destination"] == "nav"
        and views["Recouvra reports"]["category"] == "Browse"
    )
    assert views["Run summary"]["destination"] == "dag_run"
    assert [a["url_prefix"] for a in plugins["recouvra_views"]["fastapi_apps"]] == ["/recouvra"]

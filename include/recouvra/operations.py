"""Operations of the pipeline: failure alerts, the run summary, the pools.

Pure part (no Airflow): :class:`Alert` and its channels (the alerts log file, Slack, SMTP), a StatsD
listener for Airflow's metrics (:class:`StatsdListener`, ``python -m recouvra.operations metrics``),
:class:`RunFacts` and :func:`render_run_summary` (rows ingested, files received from agencies, files
published to them and files written but not published, GX results and Data Docs, integrity checks,
failed tasks with their logs), :data:`POOLS`.

The Airflow half lives in the adapter, :mod:`recouvra.airflow_adapter.callbacks`: ``notify_failure`` /
``notify_retry`` are the tasks' ``on_failure_callback`` / ``on_retry_callback`` (``DEFAULT_ARGS``);
``plugins/recouvra_listener.py`` calls ``summarise_dag_run`` when a DAG run ends. Every notification
also goes to the alerts log (``<data>/alerts.log`` beside the lake: where engineers look first),
whatever the channel.

The channel is chosen by the Airflow connection :data:`ALERTS_CONN_ID` (``recouvra_alerts``), and
delivered by the providers' notifiers (:data:`CHANNEL_NOTIFIERS`, built by the adapter): ``conn_type``
``slackwebhook`` (an incoming webhook: the token in the password, the host ``hooks.slack.com/
services``), ``slack`` (the Slack API: the token in the password, extra ``channel``), ``smtp``
(recipients in extra ``to``, sender in extra ``from_email``); no connection: the alerts log alone (the
demo). Failures go to the channel; retries too when its extra says ``notify_retries``. A channel that
fails never hides the task's own failure: the log records it and the callback returns.

``python -m recouvra.operations pools`` prints the pools as ``airflow pools import`` reads them;
``python -m recouvra.operations metrics [PORT]`` prints the metrics Airflow sends (scripts/env.sh:
StatsD to 127.0.0.1:8125).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, TypeVar

from recouvra.exchange.names import INBOX

log = logging.getLogger(__name__)

#: Airflow connection choosing the alert channel (absent: the alerts log only).
ALERTS_CONN_ID = "recouvra_alerts"

#: Pool bounding concurrent SFTP sessions to the agencies' servers (all agencies together).
SFTP_POOL = "sftp_agencies"
#: Pool of one slot: DuckDB allows one writer per file, and the warehouse loads must not interleave.
WAREHOUSE_WRITER_POOL = "warehouse_writer"

#: name -> (slots, description); created by ``make airflow-init``, scripts/stack.sh and the compose init.
POOLS: dict[str, tuple[int, str]] = {
    SFTP_POOL: (4, "SFTP sessions to the agencies' servers (publication, returns): at most 4 at once"),
    WAREHOUSE_WRITER_POOL: (1, "tasks writing the warehouse: one at a time (DuckDB has one writer)"),
}

ALERTS_LOG_NAME = "alerts.log"
RUNS_DIR_NAME = "runs"
# Airflow 3's default [logging] log_filename_template, relative to base_log_folder.
_DEFAULT_LOG_TEMPLATE_MARK = "dag_id={{ ti.dag_id }}/run_id={{ ti.run_id }}/task_id={{ ti.task_id }}/"


def pools_json() -> str:
    """The pools in the JSON shape of ``airflow pools import``."""
    return json.dumps(
        {name: {"slots": slots, "description": desc, "include_deferred": False}
         for name, (slots, desc) in POOLS.items()},
        indent=2,
    )


# --------------------------------------------------------------------------------------------------
# Alerts (pure)


@dataclass(frozen=True)
class Alert:
    """A task that failed (``FAILED``: retries exhausted, someone must act) or will retry (``RETRY``)."""

    kind: str
    dag_id: str
    task_id: str
    run_id: str
    month: str
    try_number: int
    max_tries: int
    log_url: str
    log_path: str
    error: str
    map_index: int = -1
    at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))

    @property
    def task_label(self) -> str:
        return self.task_id if self.map_index < 0 else f"{self.task_id}[{self.map_index}]"

    @property
    def subject(self) -> str:
        verb = "failed" if self.kind == "FAILED" else "will retry"
        return (f"[recouvra] {self.dag_id}.{self.task_label} {verb} "
                f"(month {self.month}, try {self.try_number})")

    def line(self) -> str:
        """One line of the alerts log: greppable by DAG, task, month; the error on the same line."""
        error = " ".join(self.error.split())[:500]
        return (
            f"{self.at:%Y-%m-%dT%H:%M:%SZ} {self.kind} dag={self.dag_id} task={self.task_label} "
            f"month={self.month} run={self.run_id} try={self.try_number}/{self.max_tries} "
            f"log={self.log_path} url={self.log_url} error={error}"
        )

    def body(self) -> str:
        """The text of an e-mail or a chat message."""
        action = ("Retries are exhausted: read the log, fix the cause, then clear the task (docs/runbook.md)."
                  if self.kind == "FAILED" else
                  "Airflow retries it after an exponential back-off: nothing to do unless it fails.")
        return "\n".join([
            self.subject, "",
            f"DAG:      {self.dag_id}",
            f"task:     {self.task_label}",
            f"month:    {self.month}",
            f"run:      {self.run_id}",
            f"try:      {self.try_number} of {self.max_tries}",
            f"log:      {self.log_path}",
            f"log URL:  {self.log_url}",
            f"error:    {self.error[:2000]}", "",
            action,
        ])


def append_alert(alert: Alert, path: Path) -> None:
    """Add the alert's line to the alerts log (created with its folder)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as f:
        f.write(alert.line() + "\n")


#: What each kind of channel is delivered by (the adapter builds the provider's notifier).
CHANNEL_NOTIFIERS = {
    "slack_webhook": "SlackWebhookNotifier (apache-airflow-providers-slack): an incoming webhook",
    "slack": "SlackNotifier (apache-airflow-providers-slack): the Slack API, extra 'channel'",
    "smtp": "SmtpNotifier (apache-airflow-providers-smtp): e-mail to extra 'to'",
}
#: The Slack channel of a ``slack`` (API token) connection whose extra names none.
DEFAULT_SLACK_CHANNEL = "#recouvra-alerts"


@dataclass(frozen=True)
class Channel:
    """A notification channel in plain values (from the Airflow connection :data:`ALERTS_CONN_ID`).

    Only what chooses and addresses the notifier is here: the secrets (webhook token, API token, SMTP
    password) stay in the connection, which the provider's hook reads itself.
    """

    conn_type: str
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def kind(self) -> str:
        """``slack_webhook``, ``slack``, ``smtp`` (:data:`CHANNEL_NOTIFIERS`), else ``unknown``."""
        t = self.conn_type.lower().replace("-", "_")
        if t in {"smtp", "email"}:
            return "smtp"
        if t in {"slackwebhook", "slack_webhook"}:
            return "slack_webhook"
        if t == "slack":
            return "slack"
        return "unknown"

    @property
    def pages_retries(self) -> bool:
        """Whether retries go to the channel too (extra ``notify_retries``); by default only failures:
        a retry is information, the alerts log has it."""
        return str(self.extra.get("notify_retries", "")).lower() in {"1", "true", "yes"}

    def recipients(self) -> list[str]:
        to = self.extra.get("to") or self.extra.get("recipients") or ""
        names = to if isinstance(to, list) else str(to).split(",")
        return [n.strip() for n in names if n.strip()]

    def slack_channel(self) -> str:
        return str(self.extra.get("channel") or DEFAULT_SLACK_CHANNEL)


def chat_text(alert: Alert) -> str:
    """The alert as a chat message (Slack mrkdwn): the subject in bold, the body verbatim."""
    return f"*{alert.subject}*\n```{alert.body()}```"


#: Sends an alert through a channel (the adapter: the provider's notifier), raising when it cannot.
Sender = Callable[[Channel, Alert], None]


def deliver(alert: Alert, channel: Channel | None, alerts_log: Path, send: Sender | None = None) -> str:
    """Write the alert to the alerts log, then send it through ``channel`` with ``send``; returns what
    was done.

    A failing channel is recorded in the alerts log and swallowed: the task's own failure, not the
    notification's, is what Airflow must report.
    """
    append_alert(alert, alerts_log)
    if channel is None:
        return "alerts log"
    try:
        if channel.kind == "unknown":
            raise ValueError(f"connection type {channel.conn_type!r} is not an alert channel "
                             f"({', '.join(CHANNEL_NOTIFIERS)})")
        if channel.kind == "smtp" and not channel.recipients():
            raise ValueError("SMTP channel: no recipients (extra 'to')")
        if send is None:
            raise ValueError(f"{channel.kind} channel: no sender available")
        send(channel, alert)
    except Exception as exc:  # the notification must never mask the task's failure
        log.exception("alert channel %s failed", channel.kind)
        with alerts_log.open("a", encoding="utf-8") as f:
            f.write(f"{dt.datetime.now(dt.UTC):%Y-%m-%dT%H:%M:%SZ} CHANNEL_ERROR channel={channel.kind} "
                    f"dag={alert.dag_id} task={alert.task_label} error={' '.join(str(exc).split())}\n")
        return f"alerts log ({channel.kind} failed: {exc})"
    return f"alerts log and {channel.kind}"


def log_location(base_log_folder: str, template: str, dag_id: str, run_id: str, task_id: str,
                 map_index: int, try_number: int) -> str:
    """Where the task's log file is under Airflow 3's default ``log_filename_template``.

    With a custom template only the base folder is given (the URL still leads to the log).
    """
    if _DEFAULT_LOG_TEMPLATE_MARK not in template:
        return base_log_folder
    mapped = f"map_index={map_index}/" if map_index >= 0 else ""
    return (f"{base_log_folder.rstrip('/')}/dag_id={dag_id}/run_id={run_id}/task_id={task_id}/"
            f"{mapped}attempt={try_number}.log")


# --------------------------------------------------------------------------------------------------
# Run summary (pure)


@dataclass(frozen=True)
class TaskOutcome:
    """One task instance of a run: its state and the small value it returned (its XCom).

    ``duration_s`` is Airflow's: the task's end less its start, stamped by two clocks that may
    disagree (the worker stamps the start; the API server stamps the end of a task it fails). Read it
    through :attr:`seconds`, never below 0.
    """

    task_id: str
    state: str
    try_number: int = 0
    map_index: int = -1
    duration_s: float | None = None
    log_url: str = ""
    value: Any = None
    end: dt.datetime | None = None

    @property
    def label(self) -> str:
        return self.task_id if self.map_index < 0 else f"{self.task_id}[{self.map_index}]"

    @property
    def seconds(self) -> float | None:
        """How long the task ran: 0 when its clocks put its end before its start (shorter than their gap)."""
        return None if self.duration_s is None else max(0.0, self.duration_s)


@dataclass(frozen=True)
class RunFacts:
    """A finished DAG run, in plain values.

    ``start`` is when the run started, None when Airflow recorded no real start (``airflow dags test``
    stamps the run's logical date there): its tasks then tell when it started (:func:`run_window`).
    """

    dag_id: str
    run_id: str
    state: str
    month: str
    start: dt.datetime | None
    end: dt.datetime | None
    tasks: list[TaskOutcome]
    note: str = ""


def safe_name(run_id: str) -> str:
    """A run id as a file name (``manual__2026-11-01T00:00:00+00:00`` has ':' and '+')."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", run_id).strip("._") or "run"


def _walk(value: Any, path: tuple[str, ...] = ()) -> Iterable[tuple[tuple[str, ...], Any]]:
    yield path, value
    if isinstance(value, Mapping):
        for k, v in value.items():
            yield from _walk(v, (*path, str(k)))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _walk(v, (*path, str(i)))


@dataclass
class _Item:
    name: str
    task: str
    rows: int
    path: str | None
    end: dt.datetime | None


@dataclass
class _Received:
    name: str  # <agency>/<file name>
    task: str
    facts: Mapping[str, Any]
    end: dt.datetime | None


@dataclass
class _Harvest:
    items: dict[str, _Item] = field(default_factory=dict)
    published: dict[str, _Item] = field(default_factory=dict)
    built: dict[str, _Item] = field(default_factory=dict)
    received: dict[str, _Received] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)
    gx: list[str] = field(default_factory=list)
    checks: list[str] = field(default_factory=list)


_ROW_KEYS = ("rows", "rows_loaded", "rows_ingested", "row_count", "records")
_RECEIVED_KEYS = ("rows_received", "rows_accepted", "rows_rejected", "rows_duplicate")
_FILE_LIST_KEYS = {"files", "published_files", "uploaded", "packages"}
_CHECK_KEYS = {"checks", "integrity", "integrity_checks", "reconciliation", "verified", "errors", "rejected"}
_EPOCH = dt.datetime.min.replace(tzinfo=dt.UTC)
_T = TypeVar("_T", _Item, _Received)


def _item_name(node: Mapping[str, Any], path: tuple[str, ...], task: TaskOutcome) -> str:
    if isinstance(node.get("table"), str):
        return str(node["table"])
    if path and not path[-1].isdigit():
        return path[-1]
    if isinstance(node.get("path"), str):
        return Path(str(node["path"])).name
    return task.label


def _file_name(node: Mapping[str, Any]) -> str | None:
    """The name of a file a task wrote, sent or fetched (it carries a sha256), else None."""
    if not isinstance(node.get("sha256"), str):
        return None
    for key in ("name", "file_name"):
        if isinstance(node.get(key), str):
            return str(node[key])
    for key in ("remote_path", "path"):
        if isinstance(node.get(key), str):
            return Path(str(node[key])).name
    return None


def _judged(node: Mapping[str, Any]) -> bool:
    """It carries an acknowledgement's row counts (received = accepted + rejected + duplicate)."""
    return all(isinstance(node.get(k), int) for k in _RECEIVED_KEYS)


def _sent_by_an_agency(node: Mapping[str, Any]) -> bool:
    """A file an agency sent: judged (it has the acknowledgement's row counts) or fetched from its
    ``inbox/`` (the folder only agencies write, agency-exchange/1; ``inbox/processed/`` included)."""
    if not isinstance(node.get("file_name"), str):
        return False
    if _judged(node):
        return True
    remote = node.get("remote_path")
    return isinstance(remote, str) and INBOX in PurePosixPath(remote).parent.parts


def _keep_latest(found: dict[str, _T], item: _T) -> None:
    known = found.get(item.name)
    if known is None or (item.end or _EPOCH) >= (known.end or _EPOCH):
        found[item.name] = item


def _harvest_mapping(v: Mapping[str, Any], path: tuple[str, ...], task: TaskOutcome, h: _Harvest) -> None:
    """Sort one mapping of a task's value: a file an agency sent, a file of the fund's, or a table."""
    if _sent_by_an_agency(v):
        name = f"{v.get('agency') or ''}/{v['file_name']}"
        _keep_latest(h.received, _Received(name, task.label, v, task.end))
        return
    rows = next((v[k] for k in _ROW_KEYS if isinstance(v.get(k), int) and not isinstance(v.get(k), bool)),
                None)
    file_name = _file_name(v)
    if file_name is not None:  # the fund's: sent when it has a remote path, else only built here
        remote, local = v.get("remote_path"), v.get("path")
        sent = isinstance(remote, str)
        _keep_latest(h.published if sent else h.built,
                     _Item(file_name, task.label, rows if rows is not None else 0,
                           remote if sent else local if isinstance(local, str) else None, task.end))
    elif rows is not None:
        where = v.get("path") or v.get("file")
        _keep_latest(h.items, _Item(_item_name(v, path, task), task.label, rows,
                                    where if isinstance(where, str) else None, task.end))


def _harvest(task: TaskOutcome, h: _Harvest) -> None:
    """Pick the facts an engineer looks for out of a task's return value, by the keys they carry.

    A file an agency sent (fetched from its ``inbox/``, or judged: rows received, accepted, rejected,
    duplicate) is a received one, whatever it carries; a file the fund wrote (a mapping with a sha256
    and a name: data files and manifests alike) is named by its own name, published when it has a
    remote path (it is on the agency's account), else only built; any other mapping with a row count
    (a table) is rows ingested. When several tasks report the same item (extract then publish, build
    then upload, fetch then ingest) the last to end wins: the summary tells what finally happened.
    """
    for path, v in _walk(task.value):
        key = path[-1] if path else ""
        if isinstance(v, Mapping):
            _harvest_mapping(v, path, task, h)
        elif key in {"data_docs", "data_docs_path", "gx_docs"} and v:
            h.gx.append(f"{task.label}: Data Docs [{v}]({_link(str(v))})")
        elif key in {"success", "gx_success", "validation_success"} and isinstance(v, bool):
            verdict = "passed" if v else "FAILED"
            h.gx.append(f"{task.label}: {'/'.join(path[:-1]) or 'suite'} validation {verdict}")
        elif key in _FILE_LIST_KEYS and isinstance(v, list):
            h.files.extend(f"{task.label}: `{x}`" for x in v if isinstance(x, str) and "/" in x)
        elif key in _CHECK_KEYS and isinstance(v, bool | int | str):
            h.checks.append(f"{task.label}: {'/'.join(path)} = {v}")
    # warehouse_setup's verify task and similar integrity checks return {name: count}
    checker = task.task_id.startswith(("verify", "check", "integrity", "reconcile"))
    if checker and isinstance(task.value, Mapping):
        flat = ", ".join(f"{k} {v}" for k, v in task.value.items() if isinstance(v, int | str | bool))
        if flat:
            h.checks.append(f"{task.label}: {flat}")


def run_window(run: RunFacts) -> tuple[dt.datetime | None, dt.datetime | None]:
    """When the run really started and ended: the run's own dates, unless they contradict its tasks.

    Without a start of its own (a ``dags test`` run, :class:`RunFacts`), or with one after a task
    started (the scheduler's clock ahead of a worker's), the run started when its first task did (its
    end less its duration, never below 0); an end before the start is the last task's end, else the
    start. A run's duration is thus never negative.
    """
    starts = [t.end - dt.timedelta(seconds=t.seconds) for t in run.tasks
              if t.end is not None and t.seconds is not None]
    ends = [t.end for t in run.tasks if t.end is not None]
    start, end = run.start, run.end or (max(ends) if ends else None)
    if starts and (start is None or (end is not None and start > end) or start > min(starts)):
        start = min(starts)
    if start is not None and end is not None and end < start:
        end = max(ends) if ends and max(ends) >= start else start
    return start, end


def _link(target: str) -> str:
    if re.match(r"^[a-z]+://", target) or not target.startswith("/"):
        return target
    return Path(target).as_uri()


def _fmt_duration(seconds: float | None) -> str:
    if seconds is None:
        return ""
    return f"{seconds:.1f} s" if seconds < 120 else f"{seconds / 60:.1f} min"


def _compact(value: Any, limit: int = 160) -> str:
    if value is None:
        return ""
    text = json.dumps(value, default=str, ensure_ascii=False, separators=(",", ":"))
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _file_rows(files: Iterable[_Item]) -> list[str]:
    return (["| file | rows | where | by task |", "|---|---:|---|---|"]
            + [f"| {i.name} | {i.rows:,} | `{i.path or ''}` | {i.task} |"
               for i in sorted(files, key=lambda i: i.name)])


def _files_sections(h: _Harvest, items: list[_Item]) -> list[str]:
    """Files received from agencies, files published to them, files built but not published."""
    out: list[str] = []
    if h.received:
        out += ["", "## Files received", "",
                "| agency / file | received | accepted | rejected | duplicate | status | by task |",
                "|---|---:|---:|---:|---:|---|---|"]
        for name, r in sorted(h.received.items()):
            judged = _judged(r.facts)
            counts = " | ".join(f"{r.facts[k]:,}" if judged else "" for k in _RECEIVED_KEYS)
            status = r.facts.get("status") or ("" if judged else "not ingested")
            out.append(f"| {name} | {counts} | {status} | {r.task} |")
    out += ["", "## Files published", ""]
    if h.published:
        out += _file_rows(h.published.values())
    files = [f"{i.task}: `{i.path}`" for i in items if i.path] + h.files
    out += [f"- {f}" for f in files] or ([] if h.published else ["none reported"])
    unsent = [b for name, b in h.built.items() if name not in h.published]
    if unsent:
        out += ["", "## Files written, not published", ""] + _file_rows(unsent)
    return out


def render_run_summary(run: RunFacts) -> str:
    """The run's summary in Markdown: outcome, tasks, files, rows, GX, integrity checks, failures."""
    h = _Harvest()
    for t in run.tasks:
        _harvest(t, h)
    start, end = run_window(run)
    took = (end - start).total_seconds() if start and end else None
    failed = [t for t in run.tasks if t.state in {"failed", "upstream_failed"}]
    out = [
        f"# {run.dag_id} — {run.state.upper()}",
        "",
        f"- run: `{run.run_id}`",
        f"- month: {run.month}",
        f"- started: {start:%Y-%m-%d %H:%M:%S %Z}" if start else "- started: -",
        f"- ended: {end:%Y-%m-%d %H:%M:%S %Z} ({_fmt_duration(took)})" if end else "- ended: -",
        f"- tasks: {len(run.tasks)}, failed: {len(failed)}",
    ]
    if run.note:
        out.append(f"- note: {run.note}")
    if failed:
        out += ["", "## Failed tasks", ""]
        out += [f"- **{t.label}** ({t.state}, try {t.try_number}): [log]({t.log_url})" for t in failed]
    items = sorted(h.items.values(), key=lambda i: i.name)
    out += ["", "## Rows ingested", ""]
    if items:
        out += ["| table / item | rows | by task |", "|---|---:|---|"]
        out += [f"| {i.name} | {i.rows:,} | {i.task} |" for i in items]
        out += [f"| **total** | **{sum(i.rows for i in items):,}** | |"]
    else:
        out.append("none reported")
    out += _files_sections(h, items)
    out += ["", "## Great Expectations", ""]
    out += [f"- {g}" for g in h.gx] or ["no validation in this run"]
    out += ["", "## Integrity checks", ""]
    out += [f"- {c}" for c in h.checks] or ["none reported"]
    out += ["", "## Tasks", "", "| task | state | try | duration | returned |", "|---|---|---:|---:|---|"]
    for t in sorted(run.tasks, key=lambda t: (t.task_id, t.map_index)):
        value = _compact(t.value).replace("|", "\\|")
        out.append(f"| [{t.label}]({t.log_url}) | {t.state} | {t.try_number} | "
                   f"{_fmt_duration(t.seconds)} | {value} |")
    return "\n".join(out) + "\n"


def write_run_summary(run: RunFacts, runs_dir: Path) -> Path:
    """Write ``runs_dir/<dag_id>/<run_id>.md`` (replaced when the run ends again after a clear)."""
    path = runs_dir / run.dag_id / f"{safe_name(run.run_id)}.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".md.part")
    tmp.write_text(render_run_summary(run), encoding="utf-8")
    tmp.replace(path)
    return path


# --------------------------------------------------------------------------------------------------
# Metrics: a StatsD listener (Airflow's [metrics] statsd_on sends its metrics as UDP datagrams)


@dataclass(frozen=True)
class Metric:
    """One StatsD sample: ``airflow.ti.finish.kpi_load.load_kpis.success:1|c``."""

    name: str
    value: float
    kind: str  # c counter, g gauge, ms timer, s set, h histogram

    @classmethod
    def parse(cls, line: str) -> Metric | None:
        """The sample of one StatsD line, or None when it is not one (tags and sample rates dropped)."""
        name, sep, rest = line.strip().partition(":")
        fields = rest.split("|")
        if not sep or not name or len(fields) < 2:
            return None
        try:
            return cls(name, float(fields[0]), fields[1])
        except ValueError:
            return None


class StatsdListener:
    """A StatsD server in miniature: a UDP socket on ``host:port`` (port 0: a free one) whose thread
    collects every sample it receives. ``with StatsdListener() as s: ...; s.metrics()``."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        import socket

        self._sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._sock.bind((host, port))
        self._sock.settimeout(0.2)
        self.host, self.port = self._sock.getsockname()[:2]
        self._samples: list[Metric] = []
        self._stop = False
        self._thread: Any = None

    def __enter__(self) -> StatsdListener:
        import threading

        self._thread = threading.Thread(target=self._serve, name="statsd-listener", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop = True
        if self._thread is not None:
            self._thread.join(timeout=2)
        self._sock.close()

    def _serve(self) -> None:
        while not self._stop:
            try:
                data = self._sock.recv(65535)
            except TimeoutError:
                continue
            except OSError:
                return
            for line in data.decode("utf-8", "replace").splitlines():
                metric = Metric.parse(line)
                if metric is not None:
                    self._samples.append(metric)

    def metrics(self) -> list[Metric]:
        """Every sample received so far, in order."""
        return list(self._samples)


def _listen(args: list[str]) -> int:
    """``metrics [PORT]``: print the StatsD samples received on 127.0.0.1:PORT (8125) until Ctrl-C."""
    import time

    port = int(args[0]) if args else 8125
    with StatsdListener(port=port) as listener:
        print(f"listening for StatsD metrics on {listener.host}:{listener.port} (Ctrl-C to stop)", flush=True)
        seen = 0
        try:
            while True:
                time.sleep(0.5)
                samples = listener.metrics()
                for m in samples[seen:]:
                    print(f"{m.name} {m.value:g} {m.kind}", flush=True)
                seen = len(samples)
        except KeyboardInterrupt:
            return 0


def main(argv: list[str] | None = None) -> int:
    """``python -m recouvra.operations pools``: the pools JSON for ``airflow pools import``;
    ``python -m recouvra.operations metrics [PORT]``: a StatsD listener printing Airflow's metrics."""
    import sys

    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["metrics"] and len(args) <= 2:
        return _listen(args[1:])
    if args != ["pools"]:
        print("usage: python -m recouvra.operations pools | metrics [PORT]", file=sys.stderr)
        return 2
    print(pools_json())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""The Airflow half of :mod:`recouvra.operations`: task callbacks and the run summary's collection.

:func:`notify_failure` / :func:`notify_retry` are every task's ``on_failure_callback`` /
``on_retry_callback`` (``DEFAULT_ARGS``): the alerts log, then the channel of the connection
``recouvra_alerts`` through the providers' notifiers (Slack, SMTP: :func:`notifier_for`);
``plugins/recouvra_listener.py`` calls :func:`summarise_dag_run` when a DAG run ends. What they build
and write (alerts, channels, summaries) is pure and lives in :mod:`recouvra.operations`. Imported at
DAG parse time: Airflow's own modules are imported inside the functions.
"""

from __future__ import annotations

import html
import logging
from typing import TYPE_CHECKING, Any

from recouvra.airflow_adapter.runtime import instant_of, settings
from recouvra.calendar import month_label
from recouvra.operations import (
    ALERTS_CONN_ID,
    ALERTS_LOG_NAME,
    RUNS_DIR_NAME,
    Alert,
    Channel,
    RunFacts,
    TaskOutcome,
    append_alert,
    chat_text,
    deliver,
    log_location,
    write_run_summary,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from pathlib import Path

log = logging.getLogger(__name__)


def data_root() -> Path:
    """The folder beside the lake (``data/`` by default) that holds alerts.log and runs/."""
    s = settings()
    return s.path(s.storage.lake_dir).parent


def _channel() -> Channel | None:
    from airflow.exceptions import AirflowNotFoundException
    from airflow.sdk import BaseHook

    try:
        conn = BaseHook.get_connection(ALERTS_CONN_ID)
    except AirflowNotFoundException:
        return None
    except Exception as exc:  # a malformed connection: deliver() records it as a channel error
        return Channel(conn_type=f"unreadable connection {ALERTS_CONN_ID} ({type(exc).__name__}: {exc})")
    return Channel(conn.conn_type or "", conn.extra_dejson or {})


def notifier_for(channel: Channel, alert: Alert) -> Any:
    """The provider's notifier that delivers ``alert`` through ``channel`` (connection
    :data:`~recouvra.operations.ALERTS_CONN_ID`): its hook reads the connection, secrets included."""
    if channel.kind == "slack_webhook":
        from airflow.providers.slack.notifications.slack_webhook import SlackWebhookNotifier

        return SlackWebhookNotifier(slack_webhook_conn_id=ALERTS_CONN_ID, text=chat_text(alert), timeout=10)
    if channel.kind == "slack":
        from airflow.providers.slack.notifications.slack import SlackNotifier

        return SlackNotifier(slack_conn_id=ALERTS_CONN_ID, channel=channel.slack_channel(),
                             text=chat_text(alert))
    if channel.kind == "smtp":
        from airflow.providers.smtp.notifications.smtp import SmtpNotifier

        return SmtpNotifier(to=channel.recipients(), from_email=channel.extra.get("from_email"),
                            smtp_conn_id=ALERTS_CONN_ID, subject=alert.subject,
                            html_content=f"<pre>{html.escape(alert.body())}</pre>")
    raise ValueError(f"no notifier for connection type {channel.conn_type!r}")


def _send(context: Mapping[str, Any]) -> Callable[[Channel, Alert], None]:
    def send(channel: Channel, alert: Alert) -> None:
        # notify(), not the notifier's __call__: the text is ours, final, and must not be rendered as a
        # Jinja template (an error message may hold "{{").
        try:
            notifier_for(channel, alert).notify(context)
        except Exception as exc:  # its message goes to the alerts log: redacted, as the alert is
            raise RuntimeError(_redact(f"{type(exc).__name__}: {exc}")) from None

    return send


def _redact(text: str) -> str:
    """``text`` with every secret Airflow masks in logs (connection passwords the task read,
    sensitive variables) replaced by ``***``: an alert carries no secret."""
    try:
        from airflow.sdk._shared.secrets_masker import redact
    except ImportError:  # pragma: no cover (the masker moved)
        return text
    return str(redact(text))


def alert_from_context(context: Mapping[str, Any], kind: str) -> Alert:
    """An :class:`Alert` from a task callback's context (Airflow 3 task SDK)."""
    from airflow.configuration import conf

    ti = context["ti"]
    dag_run = context.get("dag_run")
    when = context.get("logical_date") or getattr(dag_run, "logical_date", None)
    run_after = getattr(dag_run, "run_after", None)
    if when is None and run_after is not None:  # asset-triggered: the month of the events that triggered it
        when = instant_of(None, context.get("triggering_asset_events"), run_after)
    map_index = getattr(ti, "map_index", -1)
    map_index = -1 if map_index is None else map_index
    try_number = getattr(ti, "try_number", 0) or 0
    task = context.get("task")
    retries = getattr(task, "retries", 0) or 0
    path = log_location(conf.get("logging", "base_log_folder"), conf.get("logging", "log_filename_template"),
                        ti.dag_id, ti.run_id, ti.task_id, map_index, try_number)
    exc = context.get("exception")
    return Alert(
        kind=kind, dag_id=ti.dag_id, task_id=ti.task_id, run_id=ti.run_id, month=month_label(when),
        try_number=try_number, max_tries=retries + 1, log_url=getattr(ti, "log_url", "") or "",
        log_path=path, error=_redact(f"{type(exc).__name__}: {exc}") if exc else "(no exception in context)",
        map_index=map_index,
    )


def notify_failure(context: Mapping[str, Any]) -> None:
    """``on_failure_callback``: retries exhausted. Alerts log plus the ``recouvra_alerts`` channel,
    through the provider's notifier (:func:`notifier_for`)."""
    try:
        alert = alert_from_context(context, "FAILED")
        done = deliver(alert, _channel(), data_root() / ALERTS_LOG_NAME, _send(context))
        log.warning("alert sent (%s): %s", done, alert.subject)
    except Exception:  # never let the callback itself crash the task runner
        log.exception("could not notify the failure")


def notify_retry(context: Mapping[str, Any]) -> None:
    """``on_retry_callback``: the alerts log (a retry is information, not a page), and the channel
    only when its connection asks for retries (extra ``notify_retries``)."""
    try:
        alert = alert_from_context(context, "RETRY")
        channel = _channel()
        if channel is not None and channel.pages_retries:
            deliver(alert, channel, data_root() / ALERTS_LOG_NAME, _send(context))
        else:
            append_alert(alert, data_root() / ALERTS_LOG_NAME)
    except Exception:
        log.exception("could not record the retry")


def summarise_dag_run(dag_run: Any) -> Path | None:
    """Collect a finished run's tasks and their return values; write its summary; returns the file.

    Called by the listener plugin in the process that ends the run (the scheduler, or ``airflow dags
    test``). It only reads, through the session the run is bound to: the scheduler forbids commits
    inside its loop (a new ``create_session`` would be that same thread-local session, and commit it).
    """
    from airflow.models.xcom import XComModel
    from sqlalchemy.orm import object_session

    session = object_session(dag_run)
    if session is None:
        from airflow.utils.session import create_session

        with create_session() as fresh:
            return _summarise_in(dag_run, fresh, XComModel)
    return _summarise_in(dag_run, session, XComModel)


def _run_instant(dag_run: Any) -> Any:
    """The instant a run stands for: its logical date, or for an asset-triggered run the logical instant
    of the runs whose events triggered it (:func:`~recouvra.airflow_adapter.runtime.instant_of`)."""
    if dag_run.logical_date is not None:
        return dag_run.logical_date
    events = list(getattr(dag_run, "consumed_asset_events", None) or [])
    return instant_of(None, {None: events}, dag_run.run_after)


def _run_start(dag_run: Any) -> Any:
    """When the run started; None for an ``airflow dags test`` run, whose start Airflow stamps with the
    logical date (a month before or after it ran): the summary then times the run from its tasks."""
    triggered_by = getattr(dag_run, "triggered_by", None)
    if str(getattr(triggered_by, "value", triggered_by)) == "test":  # DagRunTriggeredByType.TEST
        return None
    return dag_run.start_date


def _summarise_in(dag_run: Any, session: Any, xcom_model: Any) -> Path:
    values: dict[tuple[str, int], Any] = {}
    query = xcom_model.get_many(run_id=dag_run.run_id, dag_ids=dag_run.dag_id, key="return_value")
    for x in session.scalars(query):
        try:
            values[(x.task_id, x.map_index)] = xcom_model.deserialize_value(x)
        except Exception:
            values[(x.task_id, x.map_index)] = x.value
    tasks = [
        TaskOutcome(
            task_id=ti.task_id, state=str(getattr(ti.state, "value", ti.state)),
            try_number=ti.try_number or 0, map_index=ti.map_index,
            duration_s=ti.duration, log_url=getattr(ti, "log_url", "") or "",
            value=values.get((ti.task_id, ti.map_index)), end=ti.end_date,
        )
        for ti in dag_run.get_task_instances(session=session)
    ]
    state = str(getattr(dag_run.state, "value", dag_run.state))
    run = RunFacts(
        dag_id=dag_run.dag_id, run_id=dag_run.run_id, state=state,
        month=month_label(_run_instant(dag_run)),
        start=_run_start(dag_run), end=dag_run.end_date, tasks=tasks,
    )
    path = write_run_summary(run, data_root() / RUNS_DIR_NAME)
    log.warning("run summary of %s %s (%s): %s", run.dag_id, run.run_id, state, path)
    return path



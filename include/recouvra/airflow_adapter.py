"""The one place where the domain package meets Airflow.

Turns Airflow connections into the plain values the core needs (database URLs, SFTP parameters) and
holds the defaults every DAG shares. Everything else in :mod:`recouvra` runs without Airflow.
Imported at DAG parse time: keep it light (no pandas, pyarrow, duckdb, sqlalchemy at module level).
"""

from __future__ import annotations

import datetime as dt
import logging
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import pendulum

from recouvra.operations import SFTP_POOL as SFTP_POOL
from recouvra.operations import WAREHOUSE_WRITER_POOL as WAREHOUSE_WRITER_POOL
from recouvra.operations import notify_failure, notify_retry

if TYPE_CHECKING:
    from recouvra.config import Settings

log = logging.getLogger(__name__)

#: Connection ids are constants: production sets them as AIRFLOW_CONN_<ID> (see .env.example).
SOURCE_CONN_ID = "recouvra_source"
WAREHOUSE_CONN_ID = "recouvra_warehouse"
# Pools SFTP_POOL ("sftp_agencies", 4 slots) and WAREHOUSE_WRITER_POOL ("warehouse_writer", 1 slot) are
# re-exported above from recouvra.operations, which creates them: tasks opt in with pool=SFTP_POOL.

#: The fund works in Morocco's local time; schedules and "today" follow it.
LOCAL_TZ = pendulum.timezone("Africa/Casablanca")
# Before any month the programme may back-fill: a logical date before start_date runs no task.
START_DATE = pendulum.datetime(2024, 1, 1, tz=LOCAL_TZ)

DEFAULT_ARGS: dict[str, Any] = {
    "owner": "recouvra",
    "retries": 2,
    "retry_delay": dt.timedelta(minutes=2),
    "retry_exponential_backoff": True,
    "max_retry_delay": dt.timedelta(minutes=30),
    # A task stuck longer than this fails (and alerts) instead of holding a worker slot for ever.
    "execution_timeout": dt.timedelta(hours=1),
    # Retries exhausted: alerts log + the recouvra_alerts channel; each retry: the alerts log.
    "on_failure_callback": notify_failure,
    "on_retry_callback": notify_retry,
}


@lru_cache(maxsize=1)
def settings() -> Settings:
    """The validated configuration, loaded once per process (fails at start with the key and reason)."""
    from recouvra.config import load_settings

    return load_settings()


def _sqlalchemy_url(uri: str) -> str:
    """Airflow's ``postgres://`` URIs as SQLAlchemy URLs for the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if uri.startswith(prefix):
            return "postgresql+psycopg://" + uri[len(prefix):]
    return uri


def connection_url(conn_id: str, default: str) -> str:
    """The URL of an Airflow connection when it exists, else the configured default.

    Production defines the connection (its password never leaves it); the embedded default has none
    and uses the configuration's SQLite/DuckDB file.
    """
    from airflow.exceptions import AirflowNotFoundException
    from airflow.sdk import BaseHook

    try:
        conn = BaseHook.get_connection(conn_id)
    except AirflowNotFoundException:
        log.info("connection %s not defined: using the configured embedded default", conn_id)
        return default
    return _sqlalchemy_url(conn.get_uri())


def source_url() -> str:
    s = settings()
    return connection_url(s.storage.source_conn_id, s.source_url)


def warehouse_url() -> str:
    s = settings()
    return connection_url(s.storage.warehouse_conn_id, s.warehouse_url)


def run_date() -> dt.date:
    """The run's date in the fund's time zone: its logical date, or when it was queued for runs that
    have none (asset-triggered). Month-based DAGs derive their month from it."""
    from airflow.sdk import get_current_context

    ctx = get_current_context()
    when = ctx.get("logical_date") or ctx["dag_run"].run_after
    return when.astimezone(LOCAL_TZ).date()


def publish_for_agency(package: dict[str, Any]) -> dict[str, Any]:
    """Upload one agency's file set through that agency's own SFTP connection (mapped tasks)."""
    from recouvra.publication import Package, publish_with_connection

    pkg = Package.from_dict(package)
    return publish_with_connection(settings().agency(pkg.agency).sftp_conn_id, pkg).to_dict()

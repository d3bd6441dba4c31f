"""The run's context and resources from Airflow: configuration, connections, the run's date.

Turns Airflow connections into the plain values the core needs (database URLs) and the Airflow
context into the run's date. Imported at DAG parse time: keep it light (no pandas, pyarrow, duckdb,
sqlalchemy at module level).
"""

from __future__ import annotations

import datetime as dt
import logging
from functools import lru_cache
from typing import TYPE_CHECKING

import pendulum

from recouvra.calendar import FUND_TZ, FUND_TZ_NAME, RunDate

if TYPE_CHECKING:

    from recouvra.config import Settings

log = logging.getLogger(__name__)

#: The fund works in Morocco's local time; schedules and "today" follow it.
LOCAL_TZ = pendulum.timezone(FUND_TZ_NAME)
# Before any month the programme may back-fill: a logical date before start_date runs no task.
START_DATE = pendulum.datetime(2024, 1, 1, tz=LOCAL_TZ)


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


def run_date() -> RunDate:
    """The run's date (:class:`~recouvra.calendar.RunDate`: its day, month, previous month and data cut
    in the fund's time zone), derived once here from the Airflow context: its logical date, or when it
    was queued for runs that have none (asset-triggered). Tasks pass its parts down, typed."""
    from airflow.sdk import get_current_context

    ctx = get_current_context()
    when = ctx.get("logical_date") or ctx["dag_run"].run_after
    return RunDate.at(when)


def run_clock() -> dt.datetime:
    """The fund's clock as a run reads it (aware UTC): now, but never later than the run's logical
    instant. A live run reads the time it stands for; a re-run or backfill of a past hour reads that
    hour, so what it stamps (a return file's ``received_at``) is the same whenever it runs, and a file
    fetched by a run dates from that run's month, never from the day somebody re-ran it."""
    from airflow.sdk import get_current_context

    ctx = get_current_context()
    when = ctx.get("logical_date") or ctx["dag_run"].run_after
    aware = when if when.tzinfo is not None else when.replace(tzinfo=dt.UTC)
    return min(dt.datetime.now(dt.UTC), aware.astimezone(dt.UTC))


def logical_wall_time() -> dt.datetime:
    """The run's logical instant as a naive wall-clock time in the fund's time zone: the portfolio
    extraction's upper bound (a run of 02:00 takes the source's rows changed up to 02:00 that day).
    Derived here, beside :func:`run_date` whose ``day`` it falls on; one cut for every stage is the
    as-of reads' business (issue "Time-correct months")."""
    from airflow.sdk import get_current_context

    ctx = get_current_context()
    when = ctx.get("logical_date") or ctx["dag_run"].run_after
    aware = when if when.tzinfo is not None else when.replace(tzinfo=dt.UTC)
    return aware.astimezone(FUND_TZ).replace(tzinfo=None)

"""The run's context and resources from Airflow: configuration, connections, the run's date.

Turns Airflow connections into the plain values the core needs (database URLs) and the Airflow
context into the run's date: its logical date, or for an asset-triggered run the logical date of the
run that produced its inputs. Imported at DAG parse time: keep it light (no pandas, pyarrow, duckdb,
sqlalchemy at module level).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import pendulum

from recouvra.calendar import FUND_TZ, FUND_TZ_NAME, RunDate

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from recouvra.config import Settings

log = logging.getLogger(__name__)

#: The fund works in Morocco's local time; schedules and "today" follow it.
LOCAL_TZ = pendulum.timezone(FUND_TZ_NAME)
# Before any month the programme may back-fill: a logical date before start_date runs no task.
START_DATE = pendulum.datetime(2024, 1, 1, tz=LOCAL_TZ)

#: Set to 1 by the embedded demo (scripts/demo.sh) only: the demo-only DAGs (tag ``demo``:
#: dags/demo_agencies.py, the simulated agencies) define their DAG. Production never sets it, so its
#: DAG processor finds no DAG in those files.
DEMO_DAGS_ENV = "RECOUVRA_DEMO_DAGS"
#: The instant after which the DAGs on a clock create no scheduled run (their ``end_date``), local time
#: ``YYYY-MM-DDTHH:MM``. The demo sets it to its last past instant: its scheduler runs the clock DAGs'
#: past months as backfills and never starts today's run on its own. Unset in production.
SCHEDULE_END_ENV = "RECOUVRA_SCHEDULE_END"


def demo_dags_enabled() -> bool:
    """Whether this process loads the demo-only DAGs (:data:`DEMO_DAGS_ENV` is ``1``); read at parse time."""
    return os.environ.get(DEMO_DAGS_ENV, "") == "1"


def schedule_end() -> pendulum.DateTime | None:
    """The clock DAGs' ``end_date`` from :data:`SCHEDULE_END_ENV` (the fund's local time), or None.

    Read at parse time. A value that is not an ISO date or date-time fails the DAG's import with the
    variable's name and value (an import error shown by Airflow), never a silent schedule."""
    text = os.environ.get(SCHEDULE_END_ENV, "").strip()
    if not text:
        return None
    try:
        when = dt.datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{SCHEDULE_END_ENV}={text!r}: not a date-time YYYY-MM-DDTHH:MM") from None
    if when.tzinfo is None:
        return pendulum.instance(when.replace(tzinfo=FUND_TZ))
    return pendulum.instance(when)


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


#: The extra every asset event of the pipeline carries (recouvra.airflow_adapter.assets): the producing
#: run's logical instant, ISO 8601 with its offset, so that a run the event triggers knows its date.
LOGICAL_DATE_EXTRA = "logical_date"


def _aware(when: dt.datetime) -> dt.datetime:
    """Airflow stores instants in UTC: a naive one is read as UTC."""
    return when if when.tzinfo is not None else when.replace(tzinfo=dt.UTC)


def event_instants(
    events: Mapping[Any, Sequence[Any]] | None, asset_name: str | None = None
) -> list[dt.datetime]:
    """The producing runs' logical instants (aware) carried by triggering asset events (their
    ``logical_date`` extra), of every asset or of the asset named ``asset_name``. An event without
    it (posted through the REST API, say) or with an unreadable one is left out."""
    instants: list[dt.datetime] = []
    for asset, evs in (events or {}).items():
        if asset_name is not None and getattr(asset, "name", None) != asset_name:
            continue
        for event in evs:
            stamp = (getattr(event, "extra", None) or {}).get(LOGICAL_DATE_EXTRA)
            if not isinstance(stamp, str):
                continue
            try:
                instants.append(_aware(dt.datetime.fromisoformat(stamp)))
            except ValueError:
                log.warning("asset event of %s: unreadable %s extra %r, ignored",
                            getattr(asset, "name", asset), LOGICAL_DATE_EXTRA, stamp)
    return instants


def instant_of(logical_date: dt.datetime | None, events: Mapping[Any, Sequence[Any]] | None,
               run_after: dt.datetime) -> dt.datetime:
    """The instant a run stands for (aware): its logical date when it has one (a scheduled, backfilled
    or triggered run, ``airflow dags test``); for an asset-triggered run, which has none, the latest
    logical instant among the events that triggered it, so that the chain extraction → debtor master
    → reconciliation → the monthly DAGs keeps the extraction's date however late each link runs;
    when no event says, when the run was queued (``run_after``)."""
    if logical_date is not None:
        return _aware(logical_date)
    return max(event_instants(events), default=_aware(run_after))


def run_instant() -> dt.datetime:
    """The run's instant (:func:`instant_of`) from the Airflow context of the running task."""
    from airflow.sdk import get_current_context

    ctx = get_current_context()
    return instant_of(ctx.get("logical_date"), ctx.get("triggering_asset_events"), ctx["dag_run"].run_after)


def run_date() -> RunDate:
    """The run's date (:class:`~recouvra.calendar.RunDate`: its day, month, previous month and data cut
    in the fund's time zone), derived once here from the run's instant (:func:`instant_of`: its logical
    date, or for an asset-triggered run the logical date of the run that produced its inputs). Tasks
    pass its parts down, typed."""
    return RunDate.at(run_instant())


def run_clock() -> dt.datetime:
    """The fund's clock as a run reads it (aware UTC): now, but never later than the run's logical
    instant. A live run reads the time it stands for; a re-run or backfill of a past hour reads that
    hour, so what it stamps (a return file's ``received_at``) is the same whenever it runs, and a file
    fetched by a run dates from that run's month, never from the day somebody re-ran it."""
    return min(dt.datetime.now(dt.UTC), run_instant().astimezone(dt.UTC))


def logical_wall_time() -> dt.datetime:
    """The run's logical instant as a naive wall-clock time in the fund's time zone: the portfolio
    extraction's upper bound (a run of 02:00 takes the source's rows changed up to 02:00 that day).
    Derived here, beside :func:`run_date` whose ``day`` it falls on; one cut for every stage is the
    as-of reads' business (issue "Time-correct months")."""
    return run_instant().astimezone(FUND_TZ).replace(tzinfo=None)

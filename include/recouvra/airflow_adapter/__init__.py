"""The Airflow adapter: the one package of :mod:`recouvra` that imports Airflow.

DAG files import what they share from here: ``DEFAULT_ARGS`` (retries, time-out, the alert callbacks),
``START_DATE``, ``schedule_end()`` (the clock DAGs' end: the demo's horizon, else none),
``demo_dags_enabled()`` (the demo-only DAGs define a DAG only in the demo), the pools,
the connection ids, and inside task bodies the run's context and resources
(``settings``, ``source_url``, ``warehouse_url``, ``run_date``) and ``publish_for_agency``. Its modules:

* :mod:`~recouvra.airflow_adapter.runtime`: configuration, connections as URLs, the run's date (from
  its logical date, or from the asset events that triggered it);
* :mod:`~recouvra.airflow_adapter.assets`: every asset (standard URI, name, group) and the rules of the
  events the DAGs emit on them (extras; no event when nothing was produced);
* :mod:`~recouvra.airflow_adapter.callbacks`: failure and retry alerts, the run summary (listener);
* :mod:`~recouvra.airflow_adapter.sftp`: an SFTP client from an agency's Airflow connection.

Everything else in :mod:`recouvra` runs without Airflow (an import-linter contract says so). Imported
at DAG parse time: keep it light (no pandas, pyarrow, duckdb, sqlalchemy at module level).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from recouvra.airflow_adapter.callbacks import notify_failure, notify_retry
from recouvra.airflow_adapter.runtime import LOCAL_TZ as LOCAL_TZ
from recouvra.airflow_adapter.runtime import START_DATE as START_DATE
from recouvra.airflow_adapter.runtime import connection_url as connection_url
from recouvra.airflow_adapter.runtime import demo_dags_enabled as demo_dags_enabled
from recouvra.airflow_adapter.runtime import logical_wall_time as logical_wall_time
from recouvra.airflow_adapter.runtime import run_clock as run_clock
from recouvra.airflow_adapter.runtime import run_date as run_date
from recouvra.airflow_adapter.runtime import schedule_end as schedule_end
from recouvra.airflow_adapter.runtime import settings as settings
from recouvra.airflow_adapter.runtime import source_url as source_url
from recouvra.airflow_adapter.runtime import warehouse_url as warehouse_url
from recouvra.operations import SFTP_POOL as SFTP_POOL
from recouvra.operations import WAREHOUSE_WRITER_POOL as WAREHOUSE_WRITER_POOL

#: Connection ids are constants: production sets them as AIRFLOW_CONN_<ID> (see .env.example).
SOURCE_CONN_ID = "recouvra_source"
WAREHOUSE_CONN_ID = "recouvra_warehouse"
# Pools SFTP_POOL ("sftp_agencies", 4 slots) and WAREHOUSE_WRITER_POOL ("warehouse_writer", 1 slot) are
# re-exported above from recouvra.operations, which creates them: tasks opt in with pool=SFTP_POOL.

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


def publish_for_agency(package: dict[str, Any]) -> dict[str, Any]:
    """Upload one agency's package through that agency's own SFTP connection (mapped tasks)."""
    from recouvra.airflow_adapter.sftp import publish_with_connection
    from recouvra.publication import Package

    pkg = Package.from_dict(package)
    return publish_with_connection(settings().agency(pkg.agency).sftp_conn_id, pkg).to_dict()


def publish_all_for_agency(packages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Upload one agency's packages, in order, through one session of its own SFTP connection (one mapped
    task per agency: :func:`recouvra.publication.by_agency` groups them)."""
    from recouvra.airflow_adapter.sftp import publish_all_with_connection
    from recouvra.publication import Package

    pkgs = [Package.from_dict(p) for p in packages]
    if not pkgs:
        return []
    conn_id = settings().agency(pkgs[0].agency).sftp_conn_id
    return [p.to_dict() for p in publish_all_with_connection(conn_id, pkgs)]

"""Listener: when a DAG run ends (success or failure), write its summary
(``recouvra.airflow_adapter.callbacks``).

Airflow calls these hooks in the process that ends the run: the scheduler, or ``airflow dags test``.
The summary goes to ``<data>/runs/<dag_id>/<run_id>.md`` and its path to that process's log. A listener
that raises would disturb the scheduler: every error is logged and swallowed.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from airflow.listeners import hookimpl

if TYPE_CHECKING:
    from airflow.models.dagrun import DagRun

log = logging.getLogger(__name__)


def _summarise(dag_run: DagRun) -> None:
    ids = (dag_run.dag_id, dag_run.run_id)  # read first: the error path must not touch the ORM again
    try:
        from recouvra.airflow_adapter.callbacks import summarise_dag_run

        summarise_dag_run(dag_run)
    except Exception:
        log.exception("run summary of %s %s failed", *ids)


@hookimpl
def on_dag_run_success(dag_run: DagRun, msg: str) -> None:
    """Write the summary of a successful run."""
    _summarise(dag_run)


@hookimpl
def on_dag_run_failed(dag_run: DagRun, msg: str) -> None:
    """Write the summary of a failed run (failed tasks first, with their log links)."""
    _summarise(dag_run)

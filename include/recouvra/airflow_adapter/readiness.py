"""The ``check_inputs`` task: a run whose inputs are missing does nothing and says so.

The first task of every DAG that writes a day or a month of the warehouse or sends files
(``debtor_master``, ``collections_reconcile``, ``assignment_monthly``, ``commission_monthly``,
``kpi_load``, ``payments_weekly``): a short-circuit on :mod:`recouvra.readiness`'s verdict for the day
or month the run stands for (:func:`~recouvra.airflow_adapter.runtime.run_date`). When the inputs are
missing it logs one line naming them and how to make them, and every later task is skipped: nothing
built, published, recorded, and no asset event (so no DAG downstream runs either); the run succeeds.
Imported at DAG parse time: light imports only.
"""

from __future__ import annotations

from typing import Any

from recouvra.airflow_adapter.runtime import run_date, settings, warehouse_url
from recouvra.operations import WAREHOUSE_WRITER_POOL

#: The DAGs whose inputs are read from the lake only (the others open the warehouse).
LAKE_ONLY = ("debtor_master", "collections_reconcile")
#: Airflow's own pool, every task's unless it names another.
DEFAULT_POOL = "default_pool"


def inputs_ready(dag_id: str) -> bool:
    """Whether the running DAG run's inputs are there; logs the verdict's line either way."""
    from recouvra import readiness
    from recouvra.warehouse import connect

    s, when = settings(), run_date()
    lake = s.path(s.storage.lake_dir)
    if dag_id == "debtor_master":
        verdict = readiness.debtor_master_inputs(lake, when.day)
    elif dag_id == "collections_reconcile":
        verdict = readiness.reconcile_inputs(lake, when.day)
    else:
        with connect(warehouse_url()) as wh:
            if dag_id == "assignment_monthly":
                verdict = readiness.assignment_inputs(wh, when.month)
            elif dag_id == "commission_monthly":
                verdict = readiness.commission_inputs(wh, when.previous_month)
            elif dag_id == "kpi_load":
                verdict = readiness.kpi_inputs(wh, when.previous_month)
            elif dag_id == "payments_weekly":
                verdict = readiness.payments_inputs(lake, wh, when.day)
            else:
                raise ValueError(f"no input check for DAG {dag_id!r} (recouvra.readiness)")
    print(verdict.line())
    return verdict.ready


def check_inputs(dag_id: str) -> Any:
    """The DAG's ``check_inputs`` task (call it inside the DAG, ahead of every other task). A check that
    opens the warehouse takes a slot of the writer pool: the DuckDB file admits one process at a time."""
    from airflow.sdk import task

    pool = DEFAULT_POOL if dag_id in LAKE_ONLY else WAREHOUSE_WRITER_POOL

    @task.short_circuit(task_id="check_inputs", pool=pool)
    def check_inputs() -> bool:
        """Go on only if the run's inputs are there (recouvra.readiness); otherwise log what is missing
        and skip every later task."""
        return inputs_ready(dag_id)

    return check_inputs()

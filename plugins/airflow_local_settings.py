"""Airflow's local settings (``airflow_local_settings``: every Airflow process imports it while starting;
``plugins/`` is on its ``sys.path``). One use: the embedded demo's scheduler preloads what the tasks import.

Under the LocalExecutor the scheduler forks its worker processes, and each worker forks one process per
task, which imports the task's libraries again: pandas, pyarrow, DuckDB, SQLAlchemy, paramiko, Great
Expectations and the domain modules, about 2 s of a 2-core machine's time per task (4 s more for the
quality gate). Where ``RECOUVRA_PRELOAD_TASK_MODULES=1``
(scripts/demo.sh sets it for its stack) the scheduler imports them once at start-up, before it forks
anything, so every task process starts with them loaded. Nothing else changes: the same code runs in the
tasks. Production never sets the variable (Celery workers, and a scheduler that runs no task): there this
module does nothing. Only libraries that start no thread at import are preloaded (a test checks that the
process keeps its main thread only), so forking stays safe; a module that fails to import is left to the
task that needs it.
"""

from __future__ import annotations

import importlib
import logging
import os
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

log = logging.getLogger(__name__)

PRELOAD_ENV = "RECOUVRA_PRELOAD_TASK_MODULES"
#: What the tasks import, heaviest first; none imports Airflow (this runs while Airflow initialises).
PRELOADED = (
    "great_expectations", "pandas", "pyarrow", "pyarrow.parquet", "pyarrow.csv", "duckdb", "sqlalchemy",
    "paramiko", "recouvra.quality",
    "recouvra.warehouse", "recouvra.lake", "recouvra.extract", "recouvra.staging", "recouvra.debtor_master",
    "recouvra.ledger", "recouvra.reconcile", "recouvra.selection", "recouvra.publication", "recouvra.ingest",
    "recouvra.commission", "recouvra.integrity", "recouvra.kpi", "recouvra.bi", "recouvra.sftp",
)


def preload(argv: Sequence[str], environ: Mapping[str, str]) -> list[str]:
    """Import :data:`PRELOADED` when this process is the scheduler (``airflow scheduler``) and the
    environment asks for it; returns the modules imported."""
    if environ.get(PRELOAD_ENV) != "1" or list(argv[1:2]) != ["scheduler"]:
        return []
    loaded = []
    for name in PRELOADED:
        try:
            importlib.import_module(name)
        except Exception as exc:  # the task that needs it will say why
            log.warning("preload of %s failed: %s", name, exc)
            continue
        loaded.append(name)
    return loaded


preload(sys.argv, os.environ)

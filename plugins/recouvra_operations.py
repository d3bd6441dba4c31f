"""The Recouvra operations plugin: registers the run-summary listener (plugins/recouvra_listener.py).

Failure and retry alerts are task callbacks in ``DEFAULT_ARGS`` (``recouvra.airflow_adapter``);
run summaries need the whole run, so they hang on the DAG-run listener.
"""

from __future__ import annotations

import recouvra_listener
from airflow.plugins_manager import AirflowPlugin


class RecouvraOperationsPlugin(AirflowPlugin):
    """Loaded by every Airflow component from the plugins folder."""

    name = "recouvra_operations"
    listeners = [recouvra_listener]

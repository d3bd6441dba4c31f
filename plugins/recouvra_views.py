"""The Recouvra views plugin: what the pipeline wrote, readable from the Airflow UI.

Mounts the read-only app of ``recouvra.airflow_adapter.views`` in the api-server under ``/recouvra``
and adds its UI entries: *Browse > Recouvra reports* in the navigation (the monthly reports, the
latest Data Docs, the run summaries) and a *Run summary* tab on every DAG run. Wiring only: which file
answers which URL is ``recouvra.browse``'s business.
"""

from __future__ import annotations

from airflow.plugins_manager import AirflowPlugin

from recouvra.airflow_adapter.views import EXTERNAL_VIEWS, URL_PREFIX, create_app


class RecouvraViewsPlugin(AirflowPlugin):
    """Loaded by every Airflow component; only the api-server serves the app."""

    name = "recouvra_views"
    fastapi_apps = [{"app": create_app(), "url_prefix": URL_PREFIX, "name": "Recouvra outputs"}]
    external_views = EXTERNAL_VIEWS

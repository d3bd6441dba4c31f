"""Airflow plugins of Recouvra: ``recouvra_operations`` (the run-summary listener) and ``recouvra_views``
(the reports, Data Docs and run summaries in the UI)."""

"""Airflow plugins of Recouvra: ``recouvra_operations`` (the run-summary listener)."""

"""Airflow plugins of Recouvra (hooks, operators, listeners, UI views). None are needed yet."""

"""Recouvra: the domain package of the CNSS amicable-recovery pipeline.

Pure Python: nothing here imports Airflow except :mod:`recouvra.airflow_adapter`.
"""

from __future__ import annotations

__version__ = "0.1.0"

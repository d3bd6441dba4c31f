"""An incremental debtor-master month on PostgreSQL: the stored model and the match cache's resolution
give what a full rebuild gives (here on DuckDB: the same SQL, the same master; the unit tests'
``assert_same_master``)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import pytest

from recouvra.warehouse import connect

pytestmark = pytest.mark.postgres

# The seeded world and its December of the unit tests (tests/ is not a package).
_spec = importlib.util.spec_from_file_location(
    "master_incremental", Path(__file__).resolve().parents[1] / "unit" / "test_master_incremental.py")
assert _spec is not None and _spec.loader is not None
unit = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(unit)
world = unit.world
months = unit.months


def test_an_incremental_month_on_postgresql_equals_a_full_rebuild(
    months: dict[str, Any], pg_url: str, tmp_path: Path
) -> None:
    full, _ = unit._build(f"duckdb:///{tmp_path / 'full.duckdb'}", None)
    incremental, report = unit._build(pg_url, tmp_path / "cache")
    assert (report.model_trained, report.model_trained_on) == (False, unit.NOVEMBER.isoformat())
    assert report.features_reused > 0 and report.records_resolved is not None
    unit.assert_same_master(incremental, full)
    with connect(pg_url) as wh:  # the stored model reads back exactly as DuckDB stores it
        stored = wh.query("SELECT field, level, m, u FROM core.match_model_level ORDER BY 1, 2")
    with connect(f"duckdb:///{tmp_path / 'full.duckdb'}") as wh:
        assert wh.query("SELECT field, level, m, u FROM core.match_model_level ORDER BY 1, 2") == stored

"""The same KPI SQL on PostgreSQL gives the same marts as on DuckDB, row for row, for the same core."""

from __future__ import annotations

import datetime as dt
import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

from recouvra.kpi import load_kpi_months, load_kpis
from recouvra.warehouse import connect

pytestmark = pytest.mark.postgres


def _unit_module() -> ModuleType:
    """tests/unit/test_kpi.py, whose hand-built core and mart queries this test reuses (tests/ is not
    a package, so it is loaded by path)."""
    path = Path(__file__).resolve().parents[1] / "unit" / "test_kpi.py"
    spec = importlib.util.spec_from_file_location("kpi_unit_cases", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_mart_row_is_identical_on_postgres_and_duckdb(pg_url: str, tmp_path: Path) -> None:
    cases = _unit_module()
    now = dt.datetime(2026, 4, 2, 6, 0)
    snapshots = []
    for url in (pg_url, f"duckdb:///{(tmp_path / 'warehouse.duckdb').as_posix()}"):
        with connect(url) as wh:
            cases.seed(wh)
            reports = load_kpi_months(wh, dt.date(2026, 1, 1), dt.date(2026, 3, 1), computed_at=now)
            load_kpis(wh, dt.date(2026, 2, 1), computed_at=now)  # a re-run changes nothing
            snapshots.append((wh.dialect, cases.snapshot(wh), reports))
    (pg_dialect, pg, pg_reports), (duck_dialect, duck, duck_reports) = snapshots
    assert (pg_dialect, duck_dialect) == ("postgresql", "duckdb")
    assert set(pg) == set(cases.MART_QUERIES)
    for name in cases.MART_QUERIES:
        assert pg[name], f"{name} is empty"
        assert pg[name] == duck[name], name
    assert pg_reports == duck_reports
    # The hand-checked numbers hold on PostgreSQL too.
    assert [r[:6] for r in pg["kpi_agency_league"] if r[0] == dt.date(2026, 2, 1)] == [
        r[:6] for r in duck["kpi_agency_league"] if r[0] == dt.date(2026, 2, 1)
    ]

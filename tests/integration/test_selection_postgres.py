"""The monthly selection and the dossier lifecycle on PostgreSQL: the same SQL and results as DuckDB."""

from __future__ import annotations

import datetime as dt
import importlib.util
from pathlib import Path

import pytest

from recouvra.selection import refresh_dossiers, select_and_allocate
from recouvra.warehouse import connect, migrate_connection

pytestmark = pytest.mark.postgres

# The small-world builders of the unit tests (tests/ is not a package).
_spec = importlib.util.spec_from_file_location(
    "selection_worlds", Path(__file__).resolve().parents[1] / "unit" / "selection" / "worlds.py")
assert _spec is not None and _spec.loader is not None
worlds = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(worlds)


def test_selection_and_lifecycle_give_the_same_rows_on_postgresql_and_duckdb(
    pg_url: str, tmp_path: Path
) -> None:
    settings = worlds._settings(tmp_path, per_month=6)
    debtors = [worlds._debtor(i, 9_000 + 4_000 * i, region=["Casablanca-Settat", "Souss-Massa"][i % 2])
               for i in range(1, 11)] + [worlds._debtor(11, 60_000, disputes=1)]
    results = []
    for url, lake in ((pg_url, tmp_path / "lake_pg"), ("duckdb:///:memory:", tmp_path / "lake_duck")):
        with connect(url) as wh:
            migrate_connection(wh)
            worlds._build(wh, lake, debtors)
            select_and_allocate(wh, lake, settings, worlds.NOV, seed=5)
            select_and_allocate(wh, lake, settings, worlds.NOV, seed=5)  # idempotent re-run
            wh.execute("UPDATE core.dossier SET status = 'PUBLISHED'")
            recalls = refresh_dossiers(wh, lake, settings, dt.date(2027, 5, 2))
            results.append((worlds._dossiers(wh), worlds._decisions(wh), recalls.dossiers,
                            wh.query("SELECT agency_code, is_active FROM core.dim_agency ORDER BY 1")))
    assert results[0] == results[1]
    assert len(results[0][0]) == 6 and set(results[0][2].values()) == {"EXPIRED"}

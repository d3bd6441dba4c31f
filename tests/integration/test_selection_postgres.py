"""The monthly selection and the dossier lifecycle on PostgreSQL: the same SQL and results as DuckDB."""

from __future__ import annotations

import datetime as dt
import importlib.util
from pathlib import Path

import pytest

from recouvra.ingest import ingest_file
from recouvra.selection import refresh_dossiers, select_and_allocate
from recouvra.standins.return_samples import return_csv
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
            # The agency of the first two dossiers closes them: INSOLVENT and DISPUTED.
            (d1, agency1), (d2, agency2) = wh.query(
                "SELECT dossier_id, agency_code FROM core.dossier ORDER BY dossier_id LIMIT 2")
            for k, (dossier_id, agency, reason) in enumerate(((d1, agency1, "INSOLVENT"),
                                                                (d2, agency2, "DISPUTED"))):
                path = tmp_path / url.split(":")[0] / f"{agency}_CLOSURES_20261212_0{k + 1}.csv"
                path.parent.mkdir(exist_ok=True)
                path.write_bytes(return_csv(["dossier_id", "closure_id", "closure_date", "reason", "comment"],
                                            [[dossier_id, f"C{k}", "2026-12-10", reason, "x"]]))
                assert ingest_file(wh, path, agency, dt.date(2026, 12, 12),
                                   dt.datetime(2026, 12, 12, 9, tzinfo=dt.UTC))["rows_accepted"] == 1
            recalls = refresh_dossiers(wh, lake, settings, dt.date(2027, 5, 2))
            results.append((worlds._dossiers(wh), worlds._decisions(wh), recalls.dossiers,
                            wh.query("SELECT agency_code, is_active FROM core.dim_agency ORDER BY 1"),
                            wh.query("SELECT dossier_id, reported_on, recorded_on, disputed_amount "
                                     "FROM core.agency_dispute")))
    assert results[0] == results[1]
    assert len(results[0][0]) == 6
    assert sorted(results[0][2].values()) == ["EXPIRED"] * 4 + ["FUND_DECISION"] * 2
    assert len(results[0][4]) == 1


def test_a_top_up_gives_the_same_rows_and_files_on_postgresql_and_duckdb(pg_url: str, tmp_path: Path) -> None:
    """The top-up's SQL (its run, its decisions, its deletion on a re-run, the package SEQ read from the
    run) on both engines: a short month topped up, published under SEQ 02, re-run frozen."""
    from recouvra.publication import build_packages
    from recouvra.selection import top_up_month

    settings = worlds._settings(tmp_path, per_month=6)
    day = dt.date(2026, 11, 16)
    results = []
    for url, lake in ((pg_url, tmp_path / "lake_pg"), ("duckdb:///:memory:", tmp_path / "lake_duck")):
        with connect(url) as wh:
            migrate_connection(wh)
            worlds._build(wh, lake, [worlds._debtor(i, 9_000 + 4_000 * i) for i in range(1, 5)])
            select_and_allocate(wh, lake, settings, worlds.NOV, seed=5)
            wh.execute("UPDATE core.dossier SET status = 'PUBLISHED'")
            worlds._build(wh, lake, [worlds._debtor(i, 9_000 + 4_000 * i) for i in range(5, 9)], as_of=day)
            wh.execute("UPDATE core.debtor_history SET address = 'Rue 1', city = 'Ville'")
            top_up_month(wh, lake, settings, worlds.NOV, day, seed=5)
            report = top_up_month(wh, lake, settings, worlds.NOV, day, seed=5)  # re-run before publication
            packages = build_packages(wh, worlds.NOV, tmp_path / url.split(":")[0], selection_seq=2)
            wh.execute("UPDATE core.dossier SET status = 'PUBLISHED'")
            frozen = top_up_month(wh, lake, settings, worlds.NOV, day, seed=5)
            results.append((worlds._dossiers(wh), report.selected, frozen.frozen,
                            wh.query("SELECT selection_seq, debtor_id, decision, reason_code "
                                     "FROM core.selection_decision ORDER BY 1, 2"),
                            [(p.agency, p.seq, [Path(f.path).read_bytes() for f in p.files])
                             for p in packages]))
    assert results[0] == results[1]
    assert results[0][1] == 2 and results[0][2] is True
    assert {seq for _, seq, _ in results[0][4]} == {2}

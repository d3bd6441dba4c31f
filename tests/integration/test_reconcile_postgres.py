"""Reconciliation and commission on PostgreSQL give exactly what they give on DuckDB."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

import reconcile_months
import reconcile_world as world
from recouvra import reconcile as reconcile_module
from recouvra.commission import build_commission_files
from recouvra.integrity import check_integrity
from recouvra.reconcile import reconcile
from recouvra.warehouse import connect, migrate_connection

FEB27 = dt.date(2027, 2, 1)


@pytest.mark.postgres
def test_postgres_and_duckdb_reconcile_alike(pg_url: str, tmp_path: Path) -> None:
    results = {}
    for name, url in (("duckdb", "duckdb:///:memory:"), ("postgresql", pg_url)):
        with connect(url) as wh:
            migrate_connection(wh)
            world.run_world(wh)
            report = reconcile(wh, world.ON)  # a re-run changes nothing
            now = dt.datetime(2027, 3, 1, tzinfo=dt.UTC)
            files = build_commission_files(wh, FEB27, tmp_path / name, now=now)
            results[name] = (world.snapshot(wh), report.as_dict(), check_integrity(wh, FEB27),
                             [(p.files[0].name, p.files[0].sha256, p.files[0].control_total) for p in files])
    assert results["postgresql"] == results["duckdb"]
    snapshot, report, violations, files = results["duckdb"]
    assert violations == [] and len(snapshot["attribution"]) == 7 and report["unconfirmed"] == 2
    assert [f[0] for f in files] == ["CNSS_COMMISSION_AG01_202702.csv", "CNSS_COMMISSION_AG02_202702.csv"]


@pytest.mark.postgres
@pytest.mark.parametrize("seed", [3, 7])
def test_postgres_incremental_reconciliation_equals_duckdb_full_run_after_run(
    pg_url: str, monkeypatch: pytest.MonkeyPatch, seed: int,
) -> None:
    """Random months (tests/support/reconcile_months.py) reconciled incrementally on PostgreSQL and in
    full on DuckDB: after every run the same rows, timestamps, groups and digests (the affiliation
    digests are computed by each engine's md5 over the same text) and the same report."""
    def clock(k: int) -> None:
        monkeypatch.setattr(reconcile_module, "_now", lambda: dt.datetime(2027, 6, 1, k))

    with connect(pg_url) as pg, connect("duckdb:///:memory:") as duck:
        reconcile_months.run_both(pg, duck, seed, clock)


@pytest.mark.postgres
@pytest.mark.parametrize(("first", "late"),
                         [("1600.00", "1500.00"), ("600.00", "800.00"), ("1500.00", "1200.00")])
def test_a_late_payment_dated_before_one_already_sent_posts_alike_on_postgres(
    pg_url: str, first: str, late: str,
) -> None:
    """tests/unit/test_reconcile.py's late payment (a statement sent never changes: the move is posted in
    the next month) on PostgreSQL: the same rows, statements and audit as on DuckDB, timestamps aside."""
    results = {}
    for name, url in (("duckdb", "duckdb:///:memory:"), ("postgresql", pg_url)):
        with connect(url) as wh:
            migrate_connection(wh)
            seen = world.late_payment_months(wh, first, late)
            results[name] = (seen["rows"], seen["december"], seen["violations"],
                             seen["sent_then"] == seen["sent_now"], seen["again"] == seen["tables"])
    assert results["postgresql"] == results["duckdb"]
    assert results["duckdb"][2:] == ([], True, True)

"""A run whose inputs are missing does nothing and says so: the verdict per DAG on a lake and a DuckDB
warehouse in a temporary folder, with and without the day's extraction, the month's debtor master and
a published dossier."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from recouvra import readiness
from recouvra.extract import MANIFEST
from recouvra.lake import TABLES
from recouvra.warehouse import Warehouse, connect, migrate_connection

pytestmark = [pytest.mark.unit]

JULY, AUGUST = dt.date(2026, 7, 1), dt.date(2026, 8, 1)


@pytest.fixture()
def wh(tmp_path: Path) -> Iterator[Warehouse]:
    with connect(f"duckdb:///{(tmp_path / 'wh.duckdb').as_posix()}") as w:
        migrate_connection(w)
        yield w


def extracted(lake: Path, day: dt.date, tables: tuple[str, ...] = tuple(TABLES)) -> None:
    for table in tables:
        folder = lake / table / f"snapshot_date={day.isoformat()}"
        folder.mkdir(parents=True)
        (folder / MANIFEST).write_text("{}", encoding="utf-8")


def _filler(data_type: str) -> Any:
    kind = data_type.upper()
    if kind == "DATE":
        return dt.date(2026, 1, 1)
    if kind == "BOOLEAN":
        return False
    if kind.startswith(("VARCHAR", "TEXT")):
        return "x"
    if kind.startswith("TIMESTAMP"):
        return dt.datetime(2026, 1, 1)
    return 0


def insert_row(wh: Warehouse, table: str, **values: Any) -> None:
    """One row of ``core.<table>``: the values given, a typed filler in every other NOT NULL column."""
    columns = wh.query(
        "SELECT column_name, data_type, is_nullable FROM information_schema.columns "
        "WHERE table_schema = 'core' AND table_name = ? ORDER BY ordinal_position",
        [table],
    )
    row = {
        name: values.get(name, _filler(kind))
        for name, kind, nullable in columns
        if name in values or nullable == "NO"
    }
    wh.execute(
        f"INSERT INTO core.{table} ({', '.join(row)}) VALUES ({', '.join('?' for _ in row)})",
        list(row.values()),
    )


def master_built(wh: Warehouse, day: dt.date) -> None:
    insert_row(wh, "debtor_portfolio", as_of_date=day, debtor_id=1)


def published(wh: Warehouse, month: dt.date, status: str = "PUBLISHED") -> None:
    insert_row(
        wh,
        "dossier",
        dossier_id=f"D{month:%Y%m}-000001",
        assignment_month=month,
        debtor_id=1,
        agency_code="AG01",
        segment="FRESH",
        assignment_start=month,
        assignment_end=dt.date(2026, 12, 31),
        oldest_period=dt.date(2026, 1, 1),
        newest_period=dt.date(2026, 1, 1),
        periods_count=1,
        status=status,
    )


def test_debtor_master_needs_the_days_extraction_of_every_table(tmp_path: Path) -> None:
    lake = tmp_path / "lake"
    verdict = readiness.debtor_master_inputs(lake, AUGUST)
    assert not verdict.ready
    assert verdict.line().startswith(
        "debtor_master 2026-08-01: nothing done, inputs missing: no extraction of 2026-08-01"
    )
    assert "run portfolio_extract for that day first" in verdict.line()
    extracted(lake, AUGUST, ("employers", "titles"))  # an extraction that never finished
    assert "missing declarations" in readiness.debtor_master_inputs(lake, AUGUST).line()
    extracted(lake, AUGUST, tuple(t for t in TABLES if t not in ("employers", "titles")))
    assert readiness.debtor_master_inputs(lake, AUGUST).ready
    assert not readiness.debtor_master_inputs(lake, dt.date(2026, 8, 2)).ready  # another day: not there


def test_reconciliation_needs_a_ledger_extracted_by_its_day(tmp_path: Path) -> None:
    lake = tmp_path / "lake"
    extracted(lake, AUGUST)
    assert not readiness.reconcile_inputs(lake, JULY).ready  # the only ledger is from later
    assert readiness.reconcile_inputs(lake, AUGUST).ready
    assert readiness.reconcile_inputs(lake, dt.date(2026, 8, 31)).ready  # an hour's returns, later


def test_assignment_needs_the_debtor_master_of_its_months_first_day(wh: Warehouse) -> None:
    master_built(wh, dt.date(2026, 7, 15))  # a later day of the month before: not the month's
    verdict = readiness.assignment_inputs(wh, AUGUST)
    assert not verdict.ready
    assert verdict.missing == (
        "the debtor master of 2026-08-01 is not built (the month's selection reads "
        "it): run portfolio_extract, then debtor_master and collections_reconcile, "
        "for 2026-08-01 first",
    )
    assert "No file was built or published" in verdict.line()
    master_built(wh, AUGUST)
    assert (
        readiness.assignment_inputs(wh, AUGUST).line()
        == "assignment_monthly 2026-08: inputs present, running"
    )


@pytest.mark.parametrize("check", [readiness.commission_inputs, readiness.kpi_inputs])
def test_a_months_statements_and_kpis_need_it_closed_and_a_dossier_published(
    wh: Warehouse, check: Any
) -> None:
    verdict = check(wh, JULY)
    assert verdict.stands_for == "2026-07"
    assert len(verdict.missing) == 2  # neither closed nor anything placed
    assert "2026-07 is closed by the extraction and reconciliation of 2026-08-01" in verdict.missing[0]
    master_built(wh, AUGUST)
    published(wh, JULY, status="ALLOCATED")  # selected, never sent: the agency holds nothing
    assert check(wh, JULY).missing == (
        "no dossier was published in 2026-07 or before (assignment_monthly has "
        "published no month yet): nothing to state",
    )
    published(wh, dt.date(2026, 6, 1), status="RECALLED")  # sent in June, recalled since: still stated
    assert check(wh, JULY).ready
    assert not check(wh, dt.date(2026, 5, 1)).ready  # before anything was placed


def test_payments_need_the_ledger_and_dossiers_with_the_agencies(tmp_path: Path, wh: Warehouse) -> None:
    monday = dt.date(2026, 8, 10)
    assert len(readiness.payments_inputs(tmp_path / "lake", wh, monday).missing) == 2
    extracted(tmp_path / "lake", JULY)
    published(wh, JULY)
    stale = readiness.payments_inputs(tmp_path / "lake", wh, monday)  # July's ledger on an August Monday
    assert stale.missing == (
        f"no ledger extracted between 2026-08-01 and 2026-08-10 in the lake "
        f"{tmp_path / 'lake'}: run portfolio_extract first",
    )
    extracted(tmp_path / "lake", AUGUST)
    assert readiness.payments_inputs(tmp_path / "lake", wh, monday).ready

"""Added debts (issue 17.3): new unpaid months of a placed debtor go to its open dossier by a supplementary
detail file (CNSS_ADDED, with its manifest and control totals) and count for the agency from the day it is
sent; re-running a day changes nothing; attribution and the money-integrity audit agree."""

# Small worlds read best one call per line.
# ruff: noqa: E501
from __future__ import annotations

import datetime as dt
import importlib.util
import sys
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

import reconcile_world as rworld
from recouvra.exchange.manifest import read_manifest
from recouvra.integrity import check_integrity
from recouvra.kpi import load_kpis
from recouvra.owed import DossierTerms, attribute, build_streams, position, read_dossiers
from recouvra.publication import Publication, PublishedFile, build_added_files, record_publication
from recouvra.reconcile import reconcile
from recouvra.selection import add_debts, select_and_allocate
from recouvra.selection.additions import new_months
from recouvra.sqlfiles import query
from recouvra.warehouse import Warehouse, connect, migrate_connection


def _load(name: str, path: Path) -> Any:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


worlds = _load("selection_worlds", Path(__file__).with_name("worlds.py"))
NOV, CASA = worlds.NOV, worlds.CASA
DEC = dt.date(2026, 12, 1)
D = Decimal

pytestmark = pytest.mark.unit


def _new_receivables(lake: Path, rows: list[tuple[str, str, int]], day: str = "2026-12-01") -> None:
    """Receivables of debtor 1 (affiliation 1000001) appearing in the lake's snapshot of ``day``."""
    at = dt.datetime(2026, 11, 30, 12)
    worlds._write_lake(
        lake,
        "receivables",
        [
            {
                "receivable_id": 90_000 + k,
                "affiliation_no": "1000001",
                "period": period,
                "kind": kind,
                "basis": "CONTRIBUTIONS",
                "amount_centimes": cents,
                "title_id": None,
                "established_on": dt.date(2026, 11, 30),
                "updated_at": at,
            }
            for k, (period, kind, cents) in enumerate(rows)
        ],
        day=day,
    )


def _published(pkg: Any, at: str = "2026-12-01T08:00:00Z") -> Publication:
    return Publication(
        pkg,
        tuple(
            PublishedFile(f.name, f.file_type, f"outbox/{f.name}", f.sha256, f.rows, f.control_total)
            for f in pkg.all_files
        ),
        at,
    )


def test_new_months_go_to_the_open_dossier_by_a_supplementary_file(world, tmp_path: Path) -> None:
    wh, lake = world
    worlds._build(wh, lake, [worlds._debtor(1, 50_000)])  # owes 2026-08
    settings = worlds._settings(
        tmp_path, per_month=1, agencies=[worlds._agency("A1", [CASA], 5)], performance={"max_share": 1.0}
    )
    select_and_allocate(wh, lake, settings, NOV, seed=1)
    wh.execute("UPDATE core.dossier SET status = 'PUBLISHED'")
    (dossier_id,) = wh.query("SELECT dossier_id FROM core.dossier")[0]
    # November became unpaid (3,000.00 + 300.00); a late surcharge on August, a month already assigned, is not new.
    _new_receivables(
        lake,
        [("2026-11", "PRINCIPAL", 300_000), ("2026-11", "SURCHARGE", 30_000), ("2026-08", "PENALTY", 5_000)],
    )

    report = add_debts(wh, lake, DEC)
    assert (report.dossiers, report.rows, report.total, report.agencies) == (1, 2, "3300.00", {"A1": 1})
    out = tmp_path / "outbox"
    (pkg,) = build_added_files(wh, DEC, out)
    data, manifest = Path(pkg.files[0].path), Path(pkg.manifest.path)  # type: ignore[union-attr]
    assert data.name == "CNSS_ADDED_A1_20261201_01.csv"
    assert manifest.name == "CNSS_ADDED_A1_20261201_01.manifest.json"
    assert data.read_bytes() == (
        b"dossier_id;period;kind;amount_due\n"
        + f"{dossier_id};2026-11;PRINCIPAL;3000.00\n".encode()
        + f"{dossier_id};2026-11;SURCHARGE;300.00\n".encode()
    )
    listed = read_manifest(manifest)
    assert [(f.name, f.rows, f.control_total) for f in listed.files] == [(data.name, 2, "3300.00")]
    assert listed.agency == "A1" and listed.seq == 1

    # Not sent yet: the months are not the agency's.
    assert read_dossiers(wh, dt.date(2026, 12, 31))[0].added_from == {}
    summary = record_publication(wh, [_published(pkg)])
    assert summary.additions_sent == 2
    (terms,) = read_dossiers(wh, dt.date(2026, 12, 31))
    assert terms.added_from == {dt.date(2026, 11, 1): DEC}
    assert terms.assigned == D("55000.00")  # the package's total_due, unchanged
    assert terms.assigned_on(dt.date(2026, 11, 30)) == D("55000.00")
    assert terms.assigned_on(DEC) == D("58300.00")

    # Re-running the day changes nothing and rebuilds the same bytes; an earlier day adds nothing.
    again = add_debts(wh, lake, DEC)
    assert again.frozen and (again.rows, again.total) == (2, "3300.00")
    (rebuilt,) = build_added_files(wh, DEC, tmp_path / "again")
    assert (rebuilt.files[0].name, rebuilt.files[0].sha256) == (pkg.files[0].name, pkg.files[0].sha256)
    assert add_debts(wh, lake, dt.date(2026, 11, 20)).kept_after == "2026-12-01"
    # A later day finds nothing new (November is added already).
    assert add_debts(wh, lake, dt.date(2027, 1, 1)).rows == 0
    assert build_added_files(wh, dt.date(2027, 1, 1), out) == []
    assert wh.query("SELECT count(*), sum(amount_due) FROM core.dossier_addition") == [(2, D("3300.00"))]


def test_a_recalled_or_ended_dossier_gets_nothing(world, tmp_path: Path) -> None:
    wh, lake = world
    worlds._build(wh, lake, [worlds._debtor(1, 50_000)])
    settings = worlds._settings(
        tmp_path, per_month=1, agencies=[worlds._agency("A1", [CASA], 5)], performance={"max_share": 1.0}
    )
    select_and_allocate(wh, lake, settings, NOV, seed=1)
    _new_receivables(lake, [("2026-11", "PRINCIPAL", 300_000)])
    assert add_debts(wh, lake, DEC).rows == 0  # ALLOCATED: not with the agency yet
    wh.execute("UPDATE core.dossier SET status = 'PUBLISHED'")
    assert add_debts(wh, lake, dt.date(2027, 5, 1)).rows == 0  # its window ended on 2027-04-30


def test_new_months_are_newer_than_the_dossiers_and_summed_over_affiliations() -> None:
    owed = [
        ("2026-08", None, 100, 0, 0),
        ("2026-11", "T2", 1000, 50, 0),
        ("2026-11", "T1", 500, 0, 7),
        ("2026-12", None, 200, 0, 0),
    ]
    got = new_months(owed, dt.date(2026, 8, 1), {dt.date(2026, 12, 1)})
    assert got == [
        (dt.date(2026, 11, 1), "T1", "PRINCIPAL", D("15.00")),
        (dt.date(2026, 11, 1), "T1", "SURCHARGE", D("0.50")),
        (dt.date(2026, 11, 1), "T1", "PENALTY", D("0.07")),
    ]


# ------------------------------------------------------------------- attribution and integrity
JUL = dt.date(2026, 7, 1)
D3 = rworld.D3


@pytest.fixture()
def wh() -> Iterator[Warehouse]:
    with connect("duckdb:///:memory:") as w:
        migrate_connection(w)
        yield w


def _add_july_to_d3(wh: Warehouse, added_on: dt.date, *, sent: bool = True) -> None:
    """The reconciliation world's D3 (AG02, March assigned) gets July 2026 (12.34): ledger entry 303, a
    payment of July dated 2027-01-06, was until now a month not assigned."""
    wh.execute(
        "INSERT INTO core.dossier_addition (dossier_id, period, kind, amount_due, agency_code, added_on, "
        "file_name, sent_on, created_at) VALUES (?, ?, 'PRINCIPAL', 12.34, 'AG02', ?, ?, ?, ?)",
        [
            D3,
            JUL,
            added_on,
            "CNSS_ADDED_AG02_x_01.csv" if sent else None,
            added_on if sent else None,
            dt.datetime(2027, 1, 1),
        ],
    )


def _d3_attributions(wh: Warehouse) -> list[tuple[Any, ...]]:
    return wh.query(
        "SELECT ledger_payment_id, amount, settles_period FROM core.attribution WHERE dossier_id = ? "
        "ORDER BY 1",
        [D3],
    )


@pytest.mark.parametrize(
    ("added_on", "sent", "counted"),
    [
        (dt.date(2027, 1, 5), True, True),  # sent the day before the payment: the agency's
        (dt.date(2027, 1, 6), True, True),  # sent the payment's day: the agency's
        (dt.date(2027, 1, 7), True, False),  # sent after the payment: not the agency's
        (dt.date(2027, 1, 5), False, False),  # never sent: not the agency's
    ],
)
def test_an_added_month_counts_for_the_agency_from_the_day_it_is_sent(
    wh: Warehouse, added_on: dt.date, sent: bool, counted: bool
) -> None:
    _add_july_to_d3(wh, added_on, sent=sent)
    rworld.run_world(wh)  # the world's ledger loaded, reconciled and stated November to February
    july = [r for r in _d3_attributions(wh) if r[2] == JUL]
    assert july == ([(303, D("12.34"), JUL)] if counted else [])
    # The money identity holds for every dossier and month, added months included.
    assert check_integrity(wh, dt.date(2027, 2, 1)) == []
    # The KPIs' dossier positions assign the month from its day (the row's money identity is checked).
    load_kpis(wh, dt.date(2026, 12, 1), computed_at=dt.datetime(2027, 3, 1))
    load_kpis(wh, dt.date(2027, 1, 1), computed_at=dt.datetime(2027, 3, 1))
    assert wh.query(
        "SELECT as_of_month, assigned_amount FROM marts.fact_dossier_month WHERE dossier_id = ? ORDER BY 1",
        [D3],
    ) == [(DEC, D("300.00")), (dt.date(2027, 1, 1), D("312.34") if sent else D("300.00"))]
    # The score's results and the agencies' recovery rates read what the package assigned: July aside.
    results = {r[0]: r[3] for r in wh.query(query("selection/select_dossier_results"), [dt.date(2027, 2, 1), NOV])}
    assert results[D3] == D("300.00")
    # Re-running the reconciliation changes nothing.
    before = rworld.snapshot(wh)
    reconcile(wh, rworld.ON)
    assert rworld.snapshot(wh) == before


def test_positions_before_an_addition_do_not_see_it() -> None:
    from recouvra.ledger import LedgerEntry

    terms = DossierTerms(
        "D202611-000009",
        "AG01",
        frozenset({"A"}),
        NOV,
        dt.date(2027, 4, 30),
        {dt.date(2026, 9, 1): D("100.00"), dt.date(2026, 11, 1): D("50.00")},
        added_from={dt.date(2026, 11, 1): DEC},
    )
    ledger = [
        LedgerEntry(1, "R1", "A", dt.date(2026, 11, 20), D("50.00"), "PAYMENT", dt.date(2026, 11, 1)),
        LedgerEntry(2, "R2", "A", dt.date(2026, 12, 10), D("20.00"), "PAYMENT", dt.date(2026, 11, 1)),
    ]
    on = dt.date(2027, 1, 31)
    assert [(a.ledger_payment_id, a.amount) for a in attribute([terms], ledger, on)] == [(2, D("20.00"))]
    streams = build_streams([terms], ledger, on)
    assert position(streams, terms.dossier_id, dt.date(2026, 11, 30)).remaining == D("100.00")
    assert position(streams, terms.dossier_id, dt.date(2026, 12, 31)).remaining == D("130.00")

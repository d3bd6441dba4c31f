"""Commission statements: the contract's formulas, properties over random payment streams, the agency
file and its manifest, re-runs that re-chain later months."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections import defaultdict
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import reconcile_world as world
from recouvra.commission import (
    COMMISSION_COLUMNS,
    build_commission_files,
    chain,
    compute_statements,
    lines_for_months,
    record_commission_publication,
    statement_line,
)
from recouvra.integrity import check_integrity
from recouvra.ledger import LedgerEntry
from recouvra.publication import Publication, PublishedFile
from recouvra.reconcile import DossierTerms, attribute, month_of, reconcile
from recouvra.warehouse import Warehouse, connect, migrate_connection

D = Decimal
NOV, DEC, JAN27, FEB27 = dt.date(2026, 11, 1), dt.date(2026, 12, 1), dt.date(2027, 1, 1), dt.date(2027, 2, 1)
T0 = dt.datetime(2027, 3, 1, 6, 0, tzinfo=dt.UTC)


# ------------------------------------------------------------------------------------- the formulas
@pytest.mark.parametrize(("attributed", "rate", "before"), [
    ("0.50", "0.0300", "0.02"),     # 0.015 -> 0.02 (half-up, not half-even)
    ("0.50", "0.0100", "0.01"),     # 0.005 -> 0.01
    ("0.49", "0.0100", "0.00"),     # 0.0049 -> 0.00
    ("1234.56", "0.0250", "30.86"),  # 30.864
    ("1000.00", "0.0333", "33.30"),
])
def test_commission_before_cap_is_rounded_half_up_to_the_centime(
    attributed: str, rate: str, before: str
) -> None:
    assert statement_line(D(attributed), D(rate), D("30000.00")).commission_before_cap == D(before)


def test_cap_and_this_month_follow_the_contract() -> None:
    lines = chain([D("100000"), D("1500000"), D("1400000"), D("900000")], D("0.03"), D("30000.00"))
    assert [(x.commission_before_cap, x.commission_paid_to_date, x.commission_this_month, x.cap_reached)
            for x in lines] == [
        (D("3000.00"), D("3000.00"), D("3000.00"), False),
        (D("45000.00"), D("30000.00"), D("27000.00"), True),
        (D("42000.00"), D("30000.00"), D("0.00"), True),       # a reversal above the cap takes nothing back
        (D("27000.00"), D("27000.00"), D("-3000.00"), False),  # below it: commission is taken back
    ]


# --------------------------------------------------------------------------------- properties
NOV_START, END = dt.date(2026, 11, 1), dt.date(2027, 4, 30)
PERIODS = [dt.date(2026, 1, 1), dt.date(2026, 2, 1), dt.date(2026, 3, 1)]
MONTHS = [dt.date(2026, 10, 1), *[dt.date(2026 + (10 + i) // 12, (10 + i) % 12 + 1, 1) for i in range(1, 9)]]


@st.composite
def streams(draw: st.DrawFn) -> tuple[DossierTerms, list[LedgerEntry]]:
    """A dossier and a random stream of payments and reversals, dated in and out of its window."""
    periods = draw(st.lists(st.sampled_from(PERIODS), min_size=1, max_size=3, unique=True))
    owed = {p: D(draw(st.integers(1, 500_000))) / 100 for p in periods}
    rate = D(draw(st.sampled_from(["0.0100", "0.0250", "0.0300", "0.0333", "0.0500", "0.1000"])))
    cap = D(draw(st.integers(0, 40_000))) / 100
    recall = draw(st.one_of(st.none(), st.dates(NOV_START, END)))
    d = DossierTerms("D202611-000001", "AG01", frozenset({"A1"}), NOV_START, END, owed, recall,
                     commission_rate=rate, commission_cap=cap)
    entries: list[LedgerEntry] = []
    for pid in range(1, draw(st.integers(0, 14)) + 1):
        on = draw(st.dates(dt.date(2026, 10, 1), dt.date(2027, 6, 30)))
        payments = [e for e in entries if e.kind == "PAYMENT" and e.ledger_payment_id not in
                    {r.reverses_payment_id for r in entries}]
        if payments and draw(st.booleans()) and draw(st.booleans()):
            target = draw(st.sampled_from(payments))
            entries.append(LedgerEntry(pid, f"R{pid}", "A1", max(on, target.payment_date), -target.amount,
                                       "REVERSAL", target.settles_period, target.ledger_payment_id))
        else:
            amount = D(draw(st.integers(1, 300_000))) / 100
            period = draw(st.sampled_from([*PERIODS, dt.date(2026, 6, 1)]))
            entries.append(LedgerEntry(pid, f"R{pid}", draw(st.sampled_from(["A1", "A1", "B9"])), on, amount,
                                       "PAYMENT", period))
    return d, entries


def statements(d: DossierTerms, ledger: list[LedgerEntry]) -> list[tuple[dt.date, D, object]]:
    """(month, attributed to date, line) for every month, the line None when the dossier is not listed."""
    rows = attribute([d], ledger, dt.date(2027, 6, 30))
    by_month: dict[dt.date, D] = defaultdict(lambda: D("0"))
    for a in rows:
        by_month[month_of(a.payment_date)] += a.amount
    computed = lines_for_months([d], {d.dossier_id: by_month}, MONTHS, {})
    return [(m, sum((v for k, v in by_month.items() if k <= m), D("0")),
             computed[m][0] if computed[m] else None) for m in MONTHS]


@settings(max_examples=300, deadline=None)
@given(streams())
def test_commission_properties_over_random_payment_streams(
    case: tuple[DossierTerms, list[LedgerEntry]]
) -> None:
    d, ledger = case
    rows = attribute([d], ledger, dt.date(2027, 6, 30))
    assert len({a.ledger_payment_id for a in rows}) == len(rows)  # one row per entry and dossier
    per_period: dict[dt.date, D] = defaultdict(lambda: D("0"))
    for a in sorted(rows, key=lambda a: (a.payment_date, a.ledger_payment_id)):
        per_period[a.settles_period] += a.amount
        assert D("0") <= per_period[a.settles_period] <= d.owed[a.settles_period]  # never above what is owed
    paid_before, attributed_before, total_this_month = D("0"), D("0"), D("0")
    for _, attributed, line in statements(d, ledger):
        if line is None:  # off the statement only when the commission did not change
            assert statement_line(attributed, d.commission_rate, d.commission_cap).commission_paid_to_date \
                == paid_before
            continue
        assert line.commission_paid_to_date <= d.commission_cap  # never above the cap
        assert line.commission_paid_to_date == min(line.commission_before_cap, d.commission_cap)
        half_up = (d.commission_rate * attributed).quantize(D("0.01"), "ROUND_HALF_UP")
        assert line.commission_before_cap == half_up
        assert line.cap_reached == (line.commission_before_cap >= d.commission_cap)
        if line.commission_paid_to_date < paid_before:  # paid to date only falls through a reversal
            assert attributed < attributed_before
        if attributed < attributed_before:  # a reversal claws back unless the dossier stays above its cap
            if line.commission_before_cap >= d.commission_cap:
                assert line.commission_this_month == 0
            else:
                assert line.commission_this_month == line.commission_before_cap - paid_before <= 0
        total_this_month += line.commission_this_month
        assert total_this_month == line.commission_paid_to_date  # the months add up to paid to date
        paid_before, attributed_before = line.commission_paid_to_date, attributed


@given(st.integers(0, 10**12), st.integers(0, 10_000))
def test_rounding_is_half_up_against_integer_arithmetic(centimes: int, rate_bp: int) -> None:
    line = statement_line(D(centimes) / 100, D(rate_bp) / 10_000, D("1e15"))
    exact = centimes * rate_bp  # in 1/1,000,000 MAD
    assert line.commission_before_cap == D((exact + 5_000) // 10_000) / 100


# ------------------------------------------------------------------------------- warehouse and file
@pytest.fixture()
def wh() -> Iterator[Warehouse]:
    with connect("duckdb:///:memory:") as w:
        migrate_connection(w)
        world.run_world(w)
        yield w


def statement(wh: Warehouse, month: dt.date) -> list[tuple[object, ...]]:
    return [r[1:] for r in world.snapshot(wh)["statement"] if r[0] == month]


def test_statements_of_the_world(wh: Warehouse) -> None:
    d1, d2, d3 = world.D1, world.D2, world.D3
    rate3, rate = D("0.0500"), D("0.0300")
    assert [(r[0], r[2], r[6], r[7], r[8]) for r in statement(wh, NOV)] == [
        (d1, D("1000.00"), D("30.00"), D("30.00"), False), (d2, D("0.00"), D("0.00"), D("0.00"), False),
        (d3, D("0.00"), D("0.00"), D("0.00"), False)]
    assert [(r[0], r[2], r[7], r[8]) for r in statement(wh, DEC)] == [
        (d1, D("1300.00"), D("9.00"), False), (d2, D("2000.00"), D("60.00"), False),
        (d3, D("0.00"), D("0.00"), False)]  # D2 recalled on 15 December: not listed after
    zero = D("0.00")  # the world's months owe principal only: all of attributed_amount is principal
    assert statement(wh, JAN27) == [
        (d1, "AG01", D("1300.00"), rate, D("30000.00"), D("39.00"), D("39.00"), D("0.00"), False,
         D("1300.00"), zero, zero),
        (d3, "AG02", D("300.00"), rate3, D("10.00"), D("15.00"), D("10.00"), D("10.00"), True,
         D("300.00"), zero, zero)]
    assert [(r[0], r[2], r[6], r[7], r[8]) for r in statement(wh, FEB27)] == [
        (d1, D("1300.00"), D("39.00"), D("0.00"), False), (d3, D("0.00"), D("0.00"), D("-10.00"), False)]


def test_commission_file_follows_the_contract_and_its_total_is_the_warehouses(
    wh: Warehouse, tmp_path: Path
) -> None:
    packages = {p.agency: p for p in build_commission_files(wh, FEB27, tmp_path, now=T0)}
    assert sorted(packages) == ["AG01", "AG02"]
    pkg = packages["AG02"]
    f = pkg.files[0]
    assert f.name == "CNSS_COMMISSION_AG02_202702.csv" and pkg.manifest is not None
    text = Path(f.path).read_bytes().decode("utf-8")
    assert text == ("dossier_id;attributed_amount;commission_rate;commission_before_cap;"
                    "commission_paid_to_date;commission_this_month;cap_reached;commission_basis;"
                    "principal_recovered;surcharges_recovered;penalties_recovered\n"
                    f"{world.D3};0.00;0.05;0.00;0.00;-10.00;N;;0.00;0.00;0.00\n")
    manifest = json.loads(Path(pkg.manifest.path).read_text(encoding="utf-8"))
    assert manifest["month"] == "2027-02" and manifest["files"][0]["sha256"] == f.sha256
    for agency, p in packages.items():
        text = Path(p.files[0].path).read_text(encoding="utf-8")
        rows = list(csv.DictReader(io.StringIO(text), delimiter=";"))
        assert tuple(rows[0]) == COMMISSION_COLUMNS
        file_total = sum((D(r["commission_this_month"]) for r in rows), D("0"))
        warehouse_total = wh.query("SELECT sum(commission_this_month) FROM core.commission_statement "
                                   "WHERE agency_code = ? AND statement_month = ?", [agency, FEB27])[0][0]
        assert file_total == D(p.files[0].control_total or "") == D(warehouse_total)
    again = build_commission_files(wh, FEB27, tmp_path, now=T0 + dt.timedelta(hours=1))
    assert [p.files[0].sha256 for p in again] == [packages[a].files[0].sha256 for a in ("AG01", "AG02")]


def test_recording_marks_rows_and_integrity_compares_file_totals(wh: Warehouse, tmp_path: Path) -> None:
    packages = build_commission_files(wh, JAN27, tmp_path, now=T0)
    pubs = [Publication(p, tuple(PublishedFile(f.name, f.file_type, f"outbox/{f.name}", f.sha256, f.rows,
                                               f.control_total) for f in p.all_files), "2027-02-01T06:00:00Z")
            for p in packages]
    assert record_commission_publication(wh, pubs) == 2
    assert wh.query("SELECT DISTINCT file_name FROM core.commission_statement WHERE statement_month = ? "
                    "ORDER BY 1", [JAN27]) == [("CNSS_COMMISSION_AG01_202701.csv",),
                                               ("CNSS_COMMISSION_AG02_202701.csv",)]
    assert check_integrity(wh, FEB27) == []
    wh.execute("UPDATE core.publication_log SET control_total = 11.00 "
               "WHERE file_name LIKE 'CNSS_COMMISSION_AG02%'")
    found = check_integrity(wh, FEB27)
    assert [(v.code, v.agency_code) for v in found] == [("FILE", "AG02")]


def test_rerun_of_a_month_replaces_it_and_rechains_later_months(wh: Warehouse) -> None:
    before = world.snapshot(wh)["statement"]
    stamps = wh.query("SELECT statement_month, dossier_id, computed_at FROM core.commission_statement "
                      "ORDER BY 1, 2")
    report = compute_statements(wh, DEC)
    assert report.months_recomputed == [JAN27.isoformat(), FEB27.isoformat()]
    assert world.snapshot(wh)["statement"] == before  # nothing changed: same rows, same timestamps
    assert wh.query("SELECT statement_month, dossier_id, computed_at FROM core.commission_statement "
                    "ORDER BY 1, 2") == stamps
    # A late reversal dated in December changes December; January and February still chain on it.
    wh.execute("INSERT INTO core.ledger_payment VALUES (106, 'R106', '0000001', 1, ?, -500.00, 'REVERSAL', "
               "104, ?, 'CHEQUE', ?, NULL)",
               [dt.date(2026, 12, 28), dt.date(2026, 2, 1), dt.date(2027, 2, 28)])
    reconcile(wh, dt.date(2027, 2, 28))
    compute_statements(wh, DEC)
    d1 = [(r[0], r[3], r[7], r[8]) for r in world.snapshot(wh)["statement"] if r[1] == world.D1]
    assert d1 == [(NOV, D("1000.00"), D("30.00"), D("30.00")), (DEC, D("800.00"), D("24.00"), D("-6.00")),
                  (JAN27, D("800.00"), D("24.00"), D("0.00")), (FEB27, D("800.00"), D("24.00"), D("0.00"))]
    assert check_integrity(wh, FEB27) == []

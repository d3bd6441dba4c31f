"""Recovered by kind (issue 17.9): each attribution split over the principal, surcharges and penalties
its month owes, in the configured imputation order; stored by reconciliation, shown on the commission
statement and in the marts, audited by the money-integrity check. The warehouse world is the one of
tests/support/reconcile_world.py, with one dossier whose month owes all three kinds."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import reconcile_world as world
from recouvra.commission import build_commission_files, compute_statements
from recouvra.config import DEFAULT_IMPUTATION_ORDER, load_settings
from recouvra.errors import ConfigError
from recouvra.integrity import check_integrity
from recouvra.kpi import load_kpis
from recouvra.ledger import LedgerEntry, load_ledger
from recouvra.owed import attribute, impute, split_by_kind
from recouvra.reconcile import DossierTerms, reconcile
from recouvra.report import read_report_data, render_html
from recouvra.warehouse import Warehouse, connect, migrate_connection

D = Decimal
JAN = dt.date(2026, 1, 1)
NOV, DEC = dt.date(2026, 11, 1), dt.date(2026, 12, 1)
END = dt.date(2027, 4, 30)
DK = "D202611-000009"
#: What the month of DK owes: 1000 principal, 300 surcharges, 200 penalties.
OWES = {"PRINCIPAL": D("1000.00"), "SURCHARGE": D("300.00"), "PENALTY": D("200.00")}
REVERSED_FIRST = ("penalties", "surcharges", "principal")


# ----------------------------------------------------------------------------------- pure: the split
def pay(pid: int, on: dt.date, amount: str, *, reverses: int | None = None) -> LedgerEntry:
    kind = "REVERSAL" if reverses is not None else "PAYMENT"
    return LedgerEntry(pid, f"R{pid}", "A1", on, D(amount), kind, JAN, reverses)


def split(ledger: list[LedgerEntry], order: tuple[str, ...] = DEFAULT_IMPUTATION_ORDER
          ) -> list[tuple[int, str, str]]:
    """(ledger id, kind, amount) of each share, as reconciliation would store them."""
    terms = DossierTerms(DK, "AG01", frozenset({"A1"}), NOV, END, {JAN: sum(OWES.values(), D(0))})
    shares = split_by_kind(attribute([terms], ledger, END), {DK: {JAN: OWES}}, order)
    return [(s.ledger_payment_id, s.kind, str(s.amount)) for s in shares]


def test_a_payment_covering_part_of_the_principal_is_all_principal() -> None:
    assert split([pay(1, dt.date(2026, 11, 10), "600.00")]) == [(1, "PRINCIPAL", "600.00")]


def test_a_payment_covering_the_rest_of_the_principal_and_part_of_the_surcharges() -> None:
    ledger = [pay(1, dt.date(2026, 11, 10), "600.00"), pay(2, dt.date(2026, 12, 10), "500.00")]
    assert split(ledger) == [(1, "PRINCIPAL", "600.00"),
                             (2, "PRINCIPAL", "400.00"), (2, "SURCHARGE", "100.00")]


def test_a_reversal_takes_back_exactly_the_split_of_its_payment() -> None:
    ledger = [pay(1, dt.date(2026, 11, 10), "600.00"), pay(2, dt.date(2026, 12, 10), "500.00"),
              pay(3, dt.date(2026, 12, 20), "-500.00", reverses=2)]
    assert split(ledger)[3:] == [(3, "PRINCIPAL", "-400.00"), (3, "SURCHARGE", "-100.00")]


def test_the_other_order_from_the_configuration_gives_the_other_split() -> None:
    ledger = [pay(1, dt.date(2026, 11, 10), "600.00"), pay(2, dt.date(2026, 12, 10), "500.00")]
    assert split(ledger, REVERSED_FIRST) == [
        (1, "PENALTY", "200.00"), (1, "SURCHARGE", "300.00"), (1, "PRINCIPAL", "100.00"),
        (2, "PRINCIPAL", "500.00")]


def test_an_over_payment_fills_every_kind_and_never_goes_above_what_each_owes() -> None:
    ledger = [pay(1, dt.date(2026, 11, 10), "1400.00"), pay(2, dt.date(2026, 12, 10), "900.00")]
    # the month owes 1500: the second payment is attributed 100, all penalties
    assert split(ledger) == [(1, "PRINCIPAL", "1000.00"), (1, "SURCHARGE", "300.00"),
                             (1, "PENALTY", "100.00"), (2, "PENALTY", "100.00")]


def test_collecting_more_than_the_month_owes_is_refused() -> None:
    with pytest.raises(ValueError, match="owe only 1500.00"):
        impute(D("1500.01"), OWES)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 150), st.integers(-1, 120_000)), min_size=1, max_size=8),
       st.permutations(DEFAULT_IMPUTATION_ORDER))
def test_shares_add_up_to_each_attribution_and_never_exceed_a_kind(
    draws: list[tuple[int, int]], order: list[str]
) -> None:
    """Random payments (an amount of -1 reverses the previous payment) in either order."""
    ledger: list[LedgerEntry] = []
    for i, (offset, centimes) in enumerate(draws, start=1):
        on = NOV + dt.timedelta(days=offset)
        payments = [e for e in ledger if e.kind == "PAYMENT"]
        if centimes < 0 and payments:
            target = payments[-1]
            ledger.append(pay(i, max(on, target.payment_date), str(-target.amount),
                              reverses=target.ledger_payment_id))
        elif centimes > 0:
            ledger.append(pay(i, on, str(D(centimes) / 100)))
    terms = DossierTerms(DK, "AG01", frozenset({"A1"}), NOV, END, {JAN: sum(OWES.values(), D(0))})
    rows = attribute([terms], ledger, END)
    shares = split_by_kind(rows, {DK: {JAN: OWES}}, tuple(order))
    for a in rows:
        assert sum((s.amount for s in shares if s.ledger_payment_id == a.ledger_payment_id), D(0)) == a.amount
    net = sum((a.amount for a in rows), D(0))
    per_kind = {k: sum((s.amount for s in shares if s.kind == k), D(0)) for k in OWES}
    assert per_kind == impute(net, OWES, tuple(order))
    assert all(D(0) <= per_kind[k] <= OWES[k] for k in OWES)


# --------------------------------------------------------------------------------------- the order
def test_the_imputation_order_is_configured_and_validated(monkeypatch: pytest.MonkeyPatch) -> None:
    assert load_settings().programme.imputation_order == ("principal", "surcharges", "penalties")
    monkeypatch.setenv("RECOUVRA__PROGRAMME__IMPUTATION_ORDER", "penalties, surcharges, principal")
    assert load_settings().programme.imputation_order == REVERSED_FIRST
    for bad in ("principal,surcharges", "principal,principal,penalties", "principal,surcharges,fees"):
        monkeypatch.setenv("RECOUVRA__PROGRAMME__IMPUTATION_ORDER", bad)
        with pytest.raises(ConfigError, match=r"programme\.imputation_order: .*each of penalties, principal, "
                                              r"surcharges exactly once"):
            load_settings()


# ----------------------------------------------------------------------------- the warehouse world
#: (payment_id, receipt_no, affiliation_no, payment_date, centimes, settles_period, kind, reverses)
KIND_LEDGER: list[tuple[object, ...]] = [
    (901, "R901", "0000009", dt.date(2026, 11, 12), 60000, "2026-01", "PAYMENT", None),   # 600 principal
    (902, "R902", "0000009", dt.date(2026, 12, 3), 50000, "2026-01", "PAYMENT", None),    # 400 P + 100 S
    (903, "R903", "0000009", dt.date(2026, 12, 18), 20000, "2026-01", "PAYMENT", None),   # 200 S
    (904, "R904", "0000009", dt.date(2026, 12, 28), -20000, "2026-01", "REVERSAL", 903),  # -200 S
]


def build(wh: Warehouse, order: tuple[str, ...] = DEFAULT_IMPUTATION_ORDER) -> None:
    """The reconciliation world plus DK, whose January owes all three kinds; reconciled to the end of
    February 2027 and its statements computed November to February."""
    world.build_world(wh)
    world.add_bridge(wh, "0000009", 9)
    world.add_dossier(wh, DK, 9, "AG01", {JAN: "1000.00"})
    wh.execute("INSERT INTO core.dossier_period VALUES (?, ?, 'SURCHARGE', 300.00, NULL), "
               "(?, ?, 'PENALTY', 200.00, NULL)", [DK, JAN, DK, JAN])
    wh.execute("UPDATE core.dossier SET surcharges_due = 300.00, penalties_due = 200.00, total_due = 1500.00 "
               "WHERE dossier_id = ?", [DK])
    with world.lake_with(world.LEDGER + KIND_LEDGER) as lake:
        for seen in (dt.date(2026, 11, 30), dt.date(2026, 12, 15), dt.date(2026, 12, 31),
                     dt.date(2027, 1, 31), world.ON):
            load_ledger(wh, lake, seen)
    reconcile(wh, world.ON, imputation_order=order)
    for m in (NOV, DEC, dt.date(2027, 1, 1), dt.date(2027, 2, 1)):
        compute_statements(wh, m)


@pytest.fixture()
def wh() -> Iterator[Warehouse]:
    with connect("duckdb:///:memory:") as w:
        migrate_connection(w)
        yield w


def kinds_of(wh: Warehouse, dossier_id: str = DK) -> list[tuple[int, str, Decimal]]:
    return [(int(r[0]), str(r[1]), r[2]) for r in wh.query(
        "SELECT ledger_payment_id, kind, amount FROM core.attribution_kind WHERE dossier_id = ? "
        "ORDER BY payment_date, ledger_payment_id, kind DESC", [dossier_id])]


def test_reconciliation_stores_each_attribution_by_kind_and_a_rerun_changes_nothing(wh: Warehouse) -> None:
    build(wh)
    assert kinds_of(wh) == [(901, "PRINCIPAL", D("600.00")), (902, "SURCHARGE", D("100.00")),
                            (902, "PRINCIPAL", D("400.00")), (903, "SURCHARGE", D("200.00")),
                            (904, "SURCHARGE", D("-200.00"))]
    # the world's all-principal dossiers: every attribution is principal, reversals included
    assert wh.query("SELECT count(*) FROM core.attribution_kind k JOIN core.attribution a USING "
                    "(ledger_payment_id, dossier_id) WHERE k.dossier_id <> ? AND (k.kind <> 'PRINCIPAL' "
                    "OR k.amount <> a.amount)", [DK]) == [(0,)]
    before = wh.query("SELECT * FROM core.attribution_kind ORDER BY 1, 2, 3")
    reconcile(wh, world.ON)
    assert wh.query("SELECT * FROM core.attribution_kind ORDER BY 1, 2, 3") == before


def test_statement_and_its_file_show_recovered_by_kind(wh: Warehouse, tmp_path: Path) -> None:
    build(wh)
    assert wh.query("SELECT statement_month, attributed_amount, principal_recovered, surcharges_recovered, "
                    "penalties_recovered FROM core.commission_statement WHERE dossier_id = ? ORDER BY 1",
                    [DK]) == [
        (NOV, D("600.00"), D("600.00"), D("0.00"), D("0.00")),
        (DEC, D("1100.00"), D("1000.00"), D("100.00"), D("0.00")),  # 903's 200 surcharges reversed by 904
        (dt.date(2027, 1, 1), D("1100.00"), D("1000.00"), D("100.00"), D("0.00")),
        (dt.date(2027, 2, 1), D("1100.00"), D("1000.00"), D("100.00"), D("0.00")),
    ]
    pkg = {p.agency: p for p in build_commission_files(wh, DEC, tmp_path)}["AG01"]
    text = Path(pkg.files[0].path).read_text("utf-8")
    rows = {r["dossier_id"]: r for r in csv.DictReader(io.StringIO(text), delimiter=";")}
    row = rows[DK]
    assert (row["attributed_amount"], row["principal_recovered"], row["surcharges_recovered"],
            row["penalties_recovered"]) == ("1100.00", "1000.00", "100.00", "0.00")
    for r in rows.values():  # on every row the kinds add up to the attributed amount
        assert D(r["principal_recovered"]) + D(r["surcharges_recovered"]) + D(r["penalties_recovered"]) \
            == D(r["attributed_amount"])


def test_the_mart_and_its_view_give_recovered_by_kind_per_agency_and_month(wh: Warehouse) -> None:
    build(wh)
    for m in (NOV, DEC):
        load_kpis(wh, m, recompute=True)
    got = wh.query("SELECT agency_code, month, principal_in_month, surcharges_in_month, penalties_in_month, "
                   "recovered_in_month, principal_to_date, surcharges_to_date, recovered_to_date "
                   "FROM marts.v_recovered_by_kind ORDER BY month, agency_code")
    # AG01 in November: D1's 1000 and DK's 600, all principal. In December: DK's 400 principal and
    # 100 surcharges (903's 200 surcharges reversed by 904), D1's 500 for February and -200 for January
    # (105 reverses 400 but 102's excess still covers 200), D2's 2000; AG02 has nothing before January.
    assert got == [
        ("AG01", NOV, D("1600.00"), D("0.00"), D("0.00"), D("1600.00"), D("1600.00"), D("0.00"),
         D("1600.00")),
        ("AG02", NOV, D("0.00"), D("0.00"), D("0.00"), D("0.00"), D("0.00"), D("0.00"), D("0.00")),
        ("AG01", DEC, D("2700.00"), D("100.00"), D("0.00"), D("2800.00"), D("4300.00"), D("100.00"),
         D("4400.00")),
        ("AG02", DEC, D("0.00"), D("0.00"), D("0.00"), D("0.00"), D("0.00"), D("0.00"), D("0.00")),
    ]
    # the monthly report reads the view: December's AG01 row, and its principal share to date
    html = render_html(read_report_data(wh, DEC), generated_at=dt.datetime(2027, 1, 2, 6))
    assert "<tr><td>AG01</td><td>2\u202f700.00 MAD</td><td>100.00 MAD</td><td>0.00 MAD</td>" in html
    assert "<td>4\u202f400.00 MAD</td><td>97.7" in html  # 4300 / 4400
    # recovered_in_month is the agency month's attributed_in_month
    assert wh.query("SELECT k.agency_code, k.month FROM marts.kpi_recovered_kind k "
                    "JOIN marts.kpi_agency_month a USING (agency_code, month) "
                    "WHERE k.recovered_in_month <> a.attributed_in_month") == []


def test_integrity_holds_by_kind_and_names_a_split_that_breaks_a_rule(wh: Warehouse) -> None:
    build(wh)
    feb = dt.date(2027, 2, 1)
    assert check_integrity(wh, feb, imputation_order=DEFAULT_IMPUTATION_ORDER) == []
    # the other order: every kind within what it owes, but not what that order gives
    found = check_integrity(wh, feb, imputation_order=REVERSED_FIRST)
    assert found and {(v.code, v.dossier_id) for v in found} == {("KIND", DK)}
    assert check_integrity(wh, feb) == []  # without an order only the order-free rules are checked
    # 100 of surcharges moved to penalties: the shares still add up, the order is broken
    wh.execute("UPDATE core.attribution_kind SET kind = 'PENALTY' WHERE ledger_payment_id = 902 "
               "AND kind = 'SURCHARGE'")
    found = check_integrity(wh, feb, imputation_order=DEFAULT_IMPUTATION_ORDER)
    assert {(v.code, v.dossier_id) for v in found} == {("KIND", DK)}
    assert any("imputation order" in v.detail for v in found)
    # principal above what it owes, and shares that no longer add up to the attribution
    wh.execute("UPDATE core.attribution_kind SET kind = 'SURCHARGE' WHERE ledger_payment_id = 902 "
               "AND kind = 'PENALTY'")
    wh.execute("UPDATE core.attribution_kind SET amount = 700.00 WHERE ledger_payment_id = 902 "
               "AND kind = 'PRINCIPAL'")
    details = [v.detail for v in check_integrity(wh, feb)]
    assert any("PRINCIPAL recovered 1300.00 but it owes 1000.00" in d for d in details)
    assert any("ledger entry 902 attributed 500.00 but its kinds add up to 800.00" in d for d in details)
    assert any("statement recovered by kind" in d for d in details)


def test_reconciling_with_the_other_order_stores_the_other_split(wh: Warehouse) -> None:
    build(wh, REVERSED_FIRST)
    assert kinds_of(wh) == [(901, "SURCHARGE", D("300.00")), (901, "PRINCIPAL", D("100.00")),
                            (901, "PENALTY", D("200.00")), (902, "PRINCIPAL", D("500.00")),
                            (903, "PRINCIPAL", D("200.00")), (904, "PRINCIPAL", D("-200.00"))]
    assert check_integrity(wh, dt.date(2027, 2, 1), imputation_order=REVERSED_FIRST) == []


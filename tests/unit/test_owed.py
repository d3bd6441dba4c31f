"""What a dossier still owes (recouvra.owed): the one definition attribution, the lifecycle's recalls
and the KPIs share; a debtor's several affiliation numbers netted month by month. The end-to-end case
(recall PAID_IN_FULL, attribution, KPIs on one world) is in tests/unit/selection/test_lifecycle.py."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal

import pytest

import reconcile_world as world
from recouvra.ledger import LedgerEntry, load_ledger
from recouvra.owed import DossierTerms, attribute, build_streams, owed_on, position, still_owed
from recouvra.reconcile import reconcile
from recouvra.warehouse import Warehouse, connect, migrate_connection

D = Decimal
JAN, FEB = dt.date(2026, 1, 1), dt.date(2026, 2, 1)
START, END = dt.date(2026, 11, 1), dt.date(2027, 4, 30)
TERMS = DossierTerms("D202611-000001", "AG01", frozenset({"A1", "A2"}), START, END,
                     {JAN: D("1000.00"), FEB: D("500.00")}, portfolio_date=dt.date(2026, 10, 25))


def pay(pid: int, on: dt.date, amount: str, aff: str, period: dt.date = JAN, kind: str = "PAYMENT",
        reverses: int | None = None) -> LedgerEntry:
    return LedgerEntry(pid, f"R{pid}", aff, on, D(amount), kind, period, reverses)


def test_payments_on_either_affiliation_number_net_month_by_month() -> None:
    ledger = [pay(1, dt.date(2026, 11, 10), "400.00", "A1"),
              pay(2, dt.date(2026, 12, 5), "1100.00", "A2", period=JAN),  # over-pays January on A2
              pay(3, dt.date(2026, 12, 6), "500.00", "A2", period=FEB)]
    streams = build_streams([TERMS], ledger, END)
    assert still_owed(streams, TERMS.dossier_id, dt.date(2026, 11, 30)) == D("1100.00")
    assert still_owed(streams, TERMS.dossier_id, dt.date(2026, 12, 5)) == D("500.00")
    assert still_owed(streams, TERMS.dossier_id, dt.date(2026, 12, 6)) == D("0.00")
    # Fully attributed owes nothing: what attribution counts is what is no longer owed.
    assert sum(a.amount for a in attribute([TERMS], ledger, END)) == TERMS.assigned


def test_a_window_moved_by_an_accepted_objection_counts_payments_up_to_its_new_last_day() -> None:
    """An accepted objection to the recall notice (extended_to) moves the window's last day: a payment
    after assignment_end and by extended_to is attributed to the agency, a later one is not;
    a recall dated before either still cuts the window (and a moved day before the end changes nothing)."""
    from dataclasses import replace

    moved = replace(TERMS, extended_to=dt.date(2027, 5, 20))
    assert (moved.window_end, moved.last_day) == (dt.date(2027, 5, 20), dt.date(2027, 5, 20))
    assert replace(TERMS, extended_to=dt.date(2027, 3, 1)).last_day == END
    assert replace(moved, recall_date=dt.date(2027, 5, 20)).last_day == dt.date(2027, 5, 20)
    ledger = [pay(1, dt.date(2027, 5, 12), "300.00", "A1"), pay(2, dt.date(2027, 5, 25), "200.00", "A1")]
    on = dt.date(2027, 6, 1)
    assert [(a.ledger_payment_id, a.amount) for a in attribute([moved], ledger, on)] == [(1, D("300.00"))]
    assert attribute([TERMS], ledger, on) == []  # without the objection, both are after the window
    streams = build_streams([moved], ledger, on)
    assert still_owed(streams, moved.dossier_id, dt.date(2027, 5, 20)) == D("1200.00")
    assert position(streams, moved.dossier_id, on).attributed == D("300.00")


def test_settled_otherwise_and_reversals_count_as_attribution_does() -> None:
    ledger = [pay(1, dt.date(2026, 10, 28), "200.00", "A2"),  # after the portfolio date, before the window
              pay(2, dt.date(2026, 11, 10), "800.00", "A1"),
              pay(3, dt.date(2026, 11, 20), "-800.00", "A1", kind="REVERSAL", reverses=2),
              pay(4, dt.date(2026, 10, 20), "500.00", "A1", period=FEB)]  # before the portfolio date
    streams = build_streams([TERMS], ledger, END)
    assert position(streams, TERMS.dossier_id, dt.date(2026, 11, 10)).settled_other == D("200.00")
    assert still_owed(streams, TERMS.dossier_id, dt.date(2026, 11, 10)) == D("500.00")
    assert still_owed(streams, TERMS.dossier_id, dt.date(2026, 11, 20)) == D("1300.00")


@pytest.fixture()
def wh() -> Iterator[Warehouse]:
    with connect("duckdb:///:memory:") as w:
        migrate_connection(w)
        yield w


def test_owed_on_reads_the_warehouse_as_reconciliation_does(wh: Warehouse) -> None:
    """On the reconciliation world, what each dossier still owes is what it assigns less what it was
    attributed and what was settled otherwise, the debtor's second number (0000011) included."""
    world.build_world(wh)
    with world.lake_with(world.LEDGER) as lake:
        load_ledger(wh, lake, world.ON)
    reconcile(wh, world.ON)
    attributed = dict(wh.query("SELECT dossier_id, sum(amount) FROM core.attribution GROUP BY dossier_id"))
    owed = owed_on(wh, {world.D1: world.ON, world.D3: world.ON}, world.ON)
    # D1: 1,500.00 assigned; January gets 800.00 on the second number (the 400.00 on the first was
    # reversed), February 500.00: 200.00 still owed. D3's only payment was reversed: all still owed.
    assert attributed[world.D1] == D("1300.00")
    assert owed == {world.D1: D("1500.00") - attributed[world.D1], world.D3: D("300.00")}
    assert owed[world.D1] == D("200.00")
    assert owed_on(wh, {}, world.ON) == {}

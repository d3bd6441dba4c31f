"""The fund's ledger: its rules (sign, centimes, settles_period, the reversed payment, the day's cut), its
load from the lake into core.ledger_payment and the reads the later stages share."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

import reconcile_world as world
from recouvra.ledger import (
    LedgerError,
    amount_from_centimes,
    check_entry,
    load_ledger,
    load_ledger_before,
    money,
    read_ledger,
    read_seen_before,
    recorded_by,
    settles_period,
)
from recouvra.warehouse import Warehouse, connect, migrate_connection

D = Decimal
ON = world.ON
day = world.day


@pytest.fixture()
def wh() -> Iterator[Warehouse]:
    with connect("duckdb:///:memory:") as w:
        migrate_connection(w)
        yield w


# ------------------------------------------------------------------------------------------ the rules
@pytest.mark.parametrize(("kind", "amount", "reverses", "reason"), [
    ("REVERSAL", "-10.00", None, "must name the payment it reverses"),
    ("REVERSAL", "10.00", 1, "REVERSAL must be negative"),
    ("REVERSAL", "0.00", 1, "REVERSAL must be negative"),
    ("PAYMENT", "-10.00", None, "PAYMENT must be positive"),
    ("PAYMENT", "0.00", None, "PAYMENT must be positive"),
    ("PAYMENT", "10.00", 1, "reverses nothing"),
    ("REFUND", "10.00", None, "neither PAYMENT nor REVERSAL"),
])
def test_an_entry_breaking_the_kind_and_sign_rules_is_refused(
    kind: str, amount: str, reverses: int | None, reason: str
) -> None:
    with pytest.raises(LedgerError, match=reason):
        check_entry(kind, D(amount), reverses)


def test_a_positive_payment_and_a_negative_reversal_naming_its_payment_pass() -> None:
    check_entry("PAYMENT", D("0.01"), None)
    check_entry("REVERSAL", D("-0.01"), 7)


@pytest.mark.parametrize(("centimes", "mad"), [
    (1, "0.01"), (1_200_000, "12000.00"), (-1_200_000, "-12000.00"), (1234, "12.34"), (0, "0.00"),
    (123_456_789_012_345_678, "1234567890123456.78"),
])
def test_centimes_become_exact_mad_with_two_decimals(centimes: int, mad: str) -> None:
    got = amount_from_centimes(centimes)
    assert got == D(mad) and got.as_tuple().exponent == -2


@given(st.integers(min_value=-(10**17), max_value=10**17))
def test_centimes_round_trip_exactly(centimes: int) -> None:
    assert amount_from_centimes(centimes) * 100 == centimes


@pytest.mark.parametrize("value", [12.5, 100.0, True, None, "1200", D("12")])
def test_centimes_that_are_not_a_whole_number_are_refused(value: object) -> None:
    with pytest.raises(LedgerError, match="whole number of centimes"):
        amount_from_centimes(value)


def test_money_never_goes_through_binary_float() -> None:
    assert money("12.3") == D("12.30") and money(D("7")) == D("7.00")
    with pytest.raises(LedgerError, match="binary float"):
        money(0.1)


@pytest.mark.parametrize(("text", "month"), [
    ("2026-01", dt.date(2026, 1, 1)), ("2026-12", dt.date(2026, 12, 1)), ("1999-07", dt.date(1999, 7, 1)),
])
def test_settles_period_is_the_first_day_of_its_yyyy_mm(text: str, month: dt.date) -> None:
    assert settles_period(text) == month


@pytest.mark.parametrize("text", [
    "2026-1", "2026-13", "2026-00", "0000-01", "2026/01", "202601", " 2026-01", "2026-01-01",
    "\uff12\uff10\uff12\uff16-01", "", None,
])
def test_settles_period_not_yyyy_mm_is_refused(text: object) -> None:
    with pytest.raises(LedgerError, match="settles_period"):
        settles_period(text)


def test_recorded_by_is_the_end_of_the_funds_local_day_in_utc() -> None:
    # Casablanca is UTC+1 in November 2026: local midnight of the 20th is 23:00 UTC on the 19th.
    assert recorded_by(dt.date(2026, 11, 19)) == dt.datetime(2026, 11, 19, 23, 0)


# -------------------------------------------------------------------------------------- load_ledger
def test_load_ledger_converts_centimes_exactly_resolves_debtors_and_is_idempotent(wh: Warehouse) -> None:
    world.build_world(wh)
    bad = [(900, "R900", "0000001", day(2026, 11, 3), -100, "2026-01", "PAYMENT", None),
           (901, "R901", "0000001", day(2026, 11, 3), 100, "2026-1", "PAYMENT", None)]
    with world.lake_with(world.LEDGER + bad) as lake:
        first = load_ledger(wh, lake, ON)
        again = load_ledger(wh, lake, ON)
    assert (first.entries, first.inserted, first.updated, sorted(first.skipped)) == (12, 10, 0, [900, 901])
    assert (again.inserted, again.updated) == (0, 0)
    rows = {r[0]: r for r in world.snapshot(wh)["ledger"]}
    assert rows[101][1:4] == (1, day(2026, 11, 10), D("400.00"))
    assert rows[102][1] == 1  # the debtor's other affiliation number
    assert rows[105][3:6] == (D("-400.00"), "REVERSAL", 101)
    assert rows[303][3] == D("12.34") and rows[303][6] == dt.date(2026, 7, 1)
    assert {r[7] for r in rows.values()} == {ON}


def test_load_ledger_takes_only_entries_recorded_by_the_run_date_and_keeps_first_seen(wh: Warehouse) -> None:
    with world.lake_with(world.LEDGER) as lake:
        load_ledger(wh, lake, day(2026, 11, 30))
        assert [r[0] for r in world.snapshot(wh)["ledger"]] == [101, 102, 103]
        load_ledger(wh, lake, ON)
    rows = {r[0]: r for r in world.snapshot(wh)["ledger"]}
    assert len(rows) == 10
    assert rows[101][7] == day(2026, 11, 30) and rows[104][7] == ON


def test_load_ledger_skips_a_reversal_naming_no_payment_and_reports_unlinked_ones(wh: Warehouse) -> None:
    rows = [*world.LEDGER,
            (902, "R902", "0000001", day(2026, 11, 4), -500, "2026-01", "REVERSAL", None),
            (903, "R903", "0000001", day(2026, 11, 4), -500, "2026-01", "REVERSAL", 999)]
    with world.lake_with(rows) as lake:
        report = load_ledger(wh, lake, ON)
    assert report.skipped == [902] and report.unlinked_reversals == [903]
    assert 902 not in {e.ledger_payment_id for e in read_ledger(wh)}


def test_load_ledger_before_takes_what_was_recorded_before_the_day_began(wh: Warehouse) -> None:
    # world.lake_with records each entry at noon of its payment date: 101 on 10 November
    with world.lake_with(world.LEDGER) as lake:
        assert load_ledger_before(wh, lake, day(2026, 11, 10)).inserted == 1  # 103 only
        assert load_ledger_before(wh, lake, day(2026, 11, 11)).inserted == 1  # now 101
    seen = {e.ledger_payment_id: e.first_seen_on for e in read_ledger(wh)}
    assert seen == {103: day(2026, 11, 9), 101: day(2026, 11, 10)}


# ------------------------------------------------------------------------------------- the reads
def test_read_ledger_gives_typed_entries_up_to_a_date(wh: Warehouse) -> None:
    world.build_world(wh)
    with world.lake_with(world.LEDGER) as lake:
        load_ledger(wh, lake, ON)
    entries = {e.ledger_payment_id: e for e in read_ledger(wh, day(2026, 12, 2))}
    assert sorted(entries) == [101, 102, 103, 104]
    e = entries[101]
    assert (e.receipt_no, e.affiliation_no, e.amount, e.kind, e.settles_period, e.debtor_id,
            e.first_seen_on) == ("R101", "0000001", D("400.00"), "PAYMENT", dt.date(2026, 1, 1), 1, ON)
    assert len(read_ledger(wh)) == 10


def test_read_seen_before_gives_what_the_ledger_held_when_the_day_began_whatever_was_loaded_since(
    wh: Warehouse,
) -> None:
    with world.lake_with(world.LEDGER) as lake:
        load_ledger(wh, lake, day(2026, 11, 30))
        load_ledger(wh, lake, ON)
    affs = ["0000001", "0000011"]
    assert [e.ledger_payment_id for e in read_seen_before(wh, affs, day(2026, 12, 1))] == [101, 102, 103]
    assert [e.ledger_payment_id for e in read_seen_before(wh, affs, day(2026, 11, 30))] == []
    assert [e.ledger_payment_id for e in read_seen_before(wh, affs, ON)] == [101, 102, 103]
    assert [e.ledger_payment_id for e in read_seen_before(wh, affs, day(2027, 3, 1))] == [
        101, 102, 103, 104, 105]
    assert read_seen_before(wh, [], ON) == []


def test_a_rerun_of_the_day_after_later_loads_reads_the_same_entries(wh: Warehouse) -> None:
    # 104 is recorded at noon on 2 December: during the day, after that day's extraction.
    on = day(2026, 12, 2)
    with world.lake_with(world.LEDGER[:3]) as lake:  # what the lake held when the day began
        load_ledger(wh, lake, on)
        load_ledger_before(wh, lake, on)
    first = read_seen_before(wh, ["0000001"], on)
    with world.lake_with(world.LEDGER) as lake:  # later snapshots landed; the day's loads run again
        load_ledger(wh, lake, on)
        load_ledger_before(wh, lake, on)
        load_ledger(wh, lake, ON)
    assert read_seen_before(wh, ["0000001"], on) == first
    assert [e.ledger_payment_id for e in first] == [101, 103]


"""The set-based load_ledger (issue 16) gives exactly what the former row-by-row one gave: the same
report (entries, inserted, updated, skipped ids, unlinked reversals), the same warnings and the same
core.ledger_payment, on a world with every case (tests/support/ledger_reference.py: new entries,
changed amount, receipt and reference, a changed bridge, a number before its first link and after its
last, reversals of unknown, later and held-only payments, entries breaking each rule, an entry fixed and
one broken later, an earlier run date, load_ledger_before, re-runs) and on random worlds."""

from __future__ import annotations

import datetime as dt
import logging
import random
from collections.abc import Callable, Iterator
from typing import Any

import pytest

import ledger_reference as ref
from recouvra import ledger
from recouvra.warehouse import Warehouse, connect, migrate_connection

Loader = Callable[[Warehouse, Any, dt.date], ledger.LedgerLoadReport]


@pytest.fixture(scope="module")
def migrated() -> Iterator[tuple[Warehouse, Warehouse]]:
    with connect("duckdb:///:memory:") as old, connect("duckdb:///:memory:") as new:
        migrate_connection(old)
        migrate_connection(new)
        yield old, new


@pytest.fixture()
def two(migrated: tuple[Warehouse, Warehouse]) -> tuple[Warehouse, Warehouse]:
    """Two warehouses with an empty ledger: the reference's and the set-based load's (migrated once)."""
    for wh in migrated:
        wh.execute("DELETE FROM core.ledger_payment")
    return migrated


def _run(
    wh: Warehouse, load: Loader, lake: Any, on: dt.date, caplog: pytest.LogCaptureFixture
) -> tuple[ledger.LedgerLoadReport, list[tuple[str, str]]]:
    """What a load reports and what it says (its warnings and its summary line)."""
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="recouvra.ledger"):
        report = load(wh, lake, on)
    said = [(r.levelname, r.getMessage()) for r in caplog.records if r.name == "recouvra.ledger"]
    return report, said


def _before(load: Loader) -> Loader:
    """The reference's load_ledger_before: its load of the day before."""
    return lambda wh, lake, on: load(wh, lake, on - dt.timedelta(days=1))


def test_the_set_based_load_equals_the_former_one_on_every_case(
    two: tuple[Warehouse, Warehouse], caplog: pytest.LogCaptureFixture
) -> None:
    old, new = two
    for wh in two:
        ref.hold_unstripped_reference(wh)
    reports = []
    for bridge, rows, on, before in ref.STEPS:
        results = []
        loads = ((old, _before(ref.load_ledger) if before else ref.load_ledger),
                 (new, ledger.load_ledger_before if before else ledger.load_ledger))
        for wh, load in loads:
            ref.set_bridge(wh, bridge)
            with ref.lake_of(rows) as lake:
                results.append(_run(wh, load, lake, on, caplog))
        assert results[1] == results[0], (on, before)
        assert ref.table_of(new) == ref.table_of(old), (on, before)
        reports.append(results[1][0])
    # The world does hold every case (else the comparison proves less than it says).
    first, rerun, month, again, earlier, day_before, day_before_again = reports
    assert first.skipped == [10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 24]
    assert first.unlinked_reversals == [9, 23] and first.inserted == 13 and first.updated == 0
    assert (rerun.inserted, rerun.updated, again.inserted, again.updated) == (0, 0, 0, 0)
    assert month.skipped == [5, 11, 12, 13, 14, 15, 16, 17, 18, 19, 24] and month.unlinked_reversals == [9]
    # new: 2, 10 (fixed), 30, 40, 41, 42; changed: 1 (amount), 3 (receipt), 4 (bridge), 20 (reference),
    # 25 (settles_period); 43, recorded on 1 January local time, waits for the next day
    assert (month.entries, month.inserted, month.updated) == (29, 6, 5)
    assert (earlier.inserted, earlier.updated) == (0, 3)  # 2, 10, 30: first seen on 15 December now
    assert (day_before.on, day_before.inserted, day_before_again.inserted, day_before_again.updated) == (
        "2027-01-01", 1, 0, 0)  # 43
    rows = {r[0]: r for r in ref.table_of(new)}
    assert rows[50][11] == "  RF50" and rows[1][11] == "RF18 D202611" and rows[22][11] == "\u200bRF\u200b"
    assert rows[20][11] == "RF12" and rows[21][11] is None
    assert (rows[3][3], rows[4][3], rows[6][3], rows[7][3], rows[42][3]) == (2, 3, 4, None, 7)
    assert 5 in rows and 6 in rows  # broken or gone from the lake later: the held row stays


def _random_lake(rng: random.Random, ids: int) -> list[ref.LakeRow]:
    affs = [f"{n:07d}" for n in range(1, 7)]
    rows = []
    for pid in range(1, ids + 1):
        kind = rng.choice(["PAYMENT"] * 8 + ["REVERSAL"] * 3 + ["REFUND"])
        sign = rng.choice([1] * 9 + [-1, 0]) * (1 if kind != "REVERSAL" else -1)
        reverses = rng.randrange(1, ids + 20) if (kind == "REVERSAL") != (rng.random() < 0.05) else None
        period = rng.choice(["2026-01", "2026-06", "2026-12", "2026-13", "26-01", "0000-01"]
                            if rng.random() < 0.1 else ["2026-01", "2026-06", "2026-11"])
        on = dt.date(2026, 9, 1) + dt.timedelta(days=rng.randrange(150))
        recorded = ref.at(on, rng.randrange(24))
        quoted = rng.choice([None, None, "RF1", " RF2 ", "\u2003", "", "RF\u00a03"])
        rows.append((pid, f"R{pid}", rng.choice(affs), on, sign * rng.randrange(1, 10**7), period, kind,
                     reverses, rng.choice(["CHEQUE", "ONLINE"]), recorded, quoted))
    return rows


def _random_bridge(rng: random.Random) -> list[ref.Link]:
    links: list[ref.Link] = []
    for n in range(1, 6):  # 0000006: never linked
        start = dt.date(2026, 8, 1) + dt.timedelta(days=rng.randrange(120))
        for k in range(rng.randrange(1, 4)):
            end = start + dt.timedelta(days=rng.randrange(1, 60))
            last = k == 2 or rng.random() < 0.4
            valid_to = None if last and rng.random() < 0.7 else end
            links.append((f"{n:07d}", start, valid_to, rng.randrange(1, 9)))
            if last:
                break
            start = end + dt.timedelta(days=rng.choice([0, 0, 10]))
    return links


def _mutate(rng: random.Random, rows: list[ref.LakeRow]) -> list[ref.LakeRow]:
    out = []
    for r in rows:
        if rng.random() < 0.05:
            continue
        if rng.random() < 0.15:
            col = rng.choice([1, 4, 5, 8, 10])
            value = {1: f"X{r[0]}", 4: r[4] + 1 if isinstance(r[4], int) else 1, 5: "2026-02", 8: "ONLINE",
                     10: rng.choice([None, "RF9", " RF9"])}[col]
            r = (*r[:col], value, *r[col + 1:])
        out.append(r)
    return out


@pytest.mark.parametrize("seed", range(3))
def test_the_set_based_load_equals_the_former_one_on_random_worlds(
    seed: int, two: tuple[Warehouse, Warehouse], caplog: pytest.LogCaptureFixture
) -> None:
    rng = random.Random(seed)
    rows = _random_lake(rng, 150)
    steps = [(_random_bridge(rng), rows, dt.date(2026, 11, 30)),
             (_random_bridge(rng), rows, dt.date(2026, 12, 31))]
    rows = _mutate(rng, rows)
    bridge = _random_bridge(rng)
    steps += [(bridge, rows, dt.date(2027, 1, 31)), (bridge, rows, dt.date(2026, 12, 20)),
              (bridge, rows, dt.date(2027, 1, 31))]
    for bridge, lake_rows, on in steps:
        results = []
        for wh, load in zip(two, (ref.load_ledger, ledger.load_ledger), strict=True):
            ref.set_bridge(wh, bridge)
            with ref.lake_of(lake_rows) as lake:
                results.append(_run(wh, load, lake, on, caplog))
        assert results[1] == results[0], (seed, on)
        assert ref.table_of(two[1]) == ref.table_of(two[0]), (seed, on)
    assert results[1][0].inserted == results[1][0].updated == 0  # the last run re-ran the third

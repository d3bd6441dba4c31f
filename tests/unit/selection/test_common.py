"""What the selection's modules share (recouvra.selection.common): month arithmetic, centimes, following
old debtors through merges and the bridge, and what affiliation numbers still owe per the lake."""

from __future__ import annotations

import datetime as dt
import importlib.util
from decimal import Decimal
from pathlib import Path

import pytest

from recouvra.selection.common import (
    SelectionError,
    centimes_to_mad,
    current_debtors,
    debtor_resolver,
    first_day,
    months_between,
    outstanding_by_owner,
    window_end,
)

_spec = importlib.util.spec_from_file_location("selection_worlds", Path(__file__).with_name("worlds.py"))
assert _spec is not None and _spec.loader is not None
worlds = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(worlds)
NOV = worlds.NOV


def test_a_month_is_its_first_day_and_any_other_day_is_refused() -> None:
    assert first_day(dt.date(2026, 11, 1)) == dt.date(2026, 11, 1)
    with pytest.raises(SelectionError):
        first_day(dt.date(2026, 11, 2))


@pytest.mark.parametrize(
    ("period", "month", "expected"),
    [("2026-09", NOV, 2), ("2026-11", NOV, 0), ("2025-11", NOV, 12), ("2026-12", NOV, -1), (None, NOV, None),
     ("", NOV, None)],
)
def test_months_between_a_period_and_a_month(
    period: str | None, month: dt.date, expected: int | None
) -> None:
    assert months_between(period, month) == expected


def test_the_window_ends_the_day_before_the_same_day_months_later() -> None:
    assert window_end(NOV, 6) == dt.date(2027, 4, 30)
    assert window_end(dt.date(2026, 12, 1), 3) == dt.date(2027, 2, 28)
    assert window_end(dt.date(2027, 12, 1), 3) == dt.date(2028, 2, 29)


def test_centimes_are_exact_dirhams() -> None:
    assert centimes_to_mad(123_456) == Decimal("1234.56")
    assert str(centimes_to_mad(5)) == "0.05"
    assert str(centimes_to_mad(-100)) == "-1.00"


def test_past_dossiers_block_their_debtor_through_merges_and_its_affiliation_owner() -> None:
    merged = {5: 3, 3: 1, 8: 9, 9: 8}  # 5 -> 3 -> 1; 8 and 9 point at each other (never loop forever)
    bridge = {"1000007": 70, "1000002": 2}
    rows = [("D1", 5, None), ("D2", 7, "1000007"), ("D3", "2", "1000002"), ("D4", 8, "9999999")]
    assert current_debtors(rows, merged, bridge) == {1, 7, 70, 2, 9}
    assert current_debtors([], merged, bridge) == set()


def test_the_resolver_reads_merges_and_the_current_bridge(tmp_path: Path) -> None:
    from recouvra.warehouse import connect, migrate_connection

    with connect("duckdb:///:memory:") as wh:
        migrate_connection(wh)
        worlds._build(wh, tmp_path / "lake", [worlds._debtor(1, 9_000, affiliations=["2000001", "2000002"]),
                                              worlds._debtor(2, 9_000)])
        wh.execute("UPDATE core.dim_debtor SET status = 'MERGED', merged_into_debtor_id = 1 "
                   "WHERE debtor_id = 2")
        merged, bridge = debtor_resolver(wh)
    assert merged == {2: 1}
    assert bridge == {"2000001": 1, "2000002": 1, "1000002": 2}


def test_outstanding_amounts_come_from_the_lake_by_owner_and_period(tmp_path: Path) -> None:
    from recouvra.warehouse import connect, migrate_connection

    lake = tmp_path / "lake"
    with connect("duckdb:///:memory:") as wh:
        migrate_connection(wh)
        worlds._build(wh, lake, [
            worlds._debtor(1, 33_333, surcharge=1_001, penalty=7, affiliations=["2000001", "2000002"]),
            worlds._debtor(2, 9_000, oldest="2026-06"),
        ])
    got = outstanding_by_owner(lake, NOV, [("2000001", "D-A"), ("2000002", "D-A"), ("1000002", "D-B"),
                                           ("2000001", "D-A"), ("7777777", "D-C")])
    assert {k: sorted(v) for k, v in got.items()} == {
        # 33,333.00 + 1,001.00 + 7.00 over two numbers, the first taking the odd centime
        "D-A": [("2026-08", None, 1_666_650, 50_050, 350), ("2026-08", None, 1_666_650, 50_050, 350)],
        "D-B": [("2026-06", None, 900_000, 90_000, 0)],
    }
    assert outstanding_by_owner(lake, NOV, []) == {}

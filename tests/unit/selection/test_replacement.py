"""Re-placement (issue 17.2): a debtor returned unresolved is placed again with another agency, as tier 2
then 3, after the cooling-off; resolved recalls start afresh at tier 1; the previous outcome is kept;
KPIs read recovery by tier. Small worlds of one Casablanca debtor and two or three agencies."""

# Small worlds read best one call per line.
# ruff: noqa: E501
from __future__ import annotations

import datetime as dt
import importlib.util
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from recouvra.kpi import load_kpis
from recouvra.selection import select_and_allocate
from recouvra.selection.replacement import FIRST, PastDossier, next_placements

_spec = importlib.util.spec_from_file_location("selection_worlds", Path(__file__).with_name("worlds.py"))
assert _spec and _spec.loader
worlds = importlib.util.module_from_spec(_spec)
sys.modules["selection_worlds"] = worlds
_spec.loader.exec_module(worlds)
NOV, CASA = worlds.NOV, worlds.CASA

pytestmark = pytest.mark.unit


def _agencies(*codes: str) -> list[dict[str, Any]]:
    return [worlds._agency(c, [CASA], 5) for c in codes]


def _placed(wh: Any, month: dt.date) -> tuple[Any, ...] | None:
    rows = wh.query("SELECT dossier_id, agency_code, placement_tier, previous_dossier_id, previous_agency_code, "
                    "previous_recall_reason, previous_recovered FROM core.dossier WHERE assignment_month = ? "
                    "AND debtor_id = 1", [month])
    return rows[0] if rows else None


def _recall(wh: Any, dossier_id: str, day: dt.date, reason: str, closure: str | None = None,
            recovered: str | None = None) -> None:
    """The dossier published, then recalled ``reason`` on ``day`` (after ``closure``, an agency's
    closure; ``recovered`` attributed to it before)."""
    agency = wh.query("SELECT agency_code FROM core.dossier WHERE dossier_id = ?", [dossier_id])[0][0]
    wh.execute("INSERT INTO core.dossier_recall (dossier_id, recall_date, reason, recalled_amount, decided_at, "
               "decided_on) VALUES (?, ?, ?, 0, ?, ?)", [dossier_id, day, reason, dt.datetime(2027, 1, 1), day])
    wh.execute("UPDATE core.dossier SET status = 'RECALLED', status_date = ? WHERE dossier_id = ?", [day, dossier_id])
    if closure is not None:
        wh.execute("INSERT INTO core.agency_closure VALUES (?, ?, ?, ?, ?, NULL, 1, 2)",
                   [agency, f"C-{dossier_id}", dossier_id, day - dt.timedelta(days=3), closure])
    if recovered is not None:
        wh.execute("INSERT INTO core.attribution VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                   [abs(hash(dossier_id)) % 10**9, dossier_id, agency, Decimal(recovered), day, NOV, day.replace(day=1),
                    dt.datetime(2027, 1, 1)])


def _month(year: int, month: int) -> dt.date:
    return dt.date(year, month, 1)


def test_an_unresolved_debtor_goes_to_another_agency_as_tier_2_then_3_then_no_more(world, tmp_path: Path) -> None:
    wh, lake = world
    worlds._build(wh, lake, [worlds._debtor(1, 50_000)])
    settings = worlds._settings(tmp_path, per_month=1, agencies=_agencies("A1", "A2", "A3"),
                                recall_cooling_off_months=2)
    select_and_allocate(wh, lake, settings, NOV, seed=1)
    first = _placed(wh, NOV)
    assert first is not None and first[2] == 1 and first[3] is None  # a first placement: tier 1
    _recall(wh, first[0], dt.date(2027, 4, 30), "EXPIRED", recovered="1200.00")

    # Within the cooling-off (recalled 30 April, two months): not yet.
    select_and_allocate(wh, lake, settings, _month(2027, 6), seed=1)
    assert worlds._decisions(wh, _month(2027, 6))[1][1] == "RECALL_COOLING_OFF"
    assert _placed(wh, _month(2027, 6)) is None
    # After it: tier 2, with another agency, the previous agency's outcome kept.
    select_and_allocate(wh, lake, settings, _month(2027, 7), seed=1)
    second = _placed(wh, _month(2027, 7))
    assert second is not None
    assert second[2:] == (2, first[0], first[1], "EXPIRED", Decimal("1200.00"))
    assert second[1] != first[1]

    # Closed UNREACHABLE by its agency, recalled FUND_DECISION: tier 3 with the only agency left.
    _recall(wh, second[0], dt.date(2027, 9, 10), "FUND_DECISION", closure="UNREACHABLE")
    select_and_allocate(wh, lake, settings, _month(2027, 12), seed=1)
    third = _placed(wh, _month(2027, 12))
    assert third is not None
    assert third[2:6] == (3, second[0], second[1], "FUND_DECISION/UNREACHABLE")
    assert third[1] not in {first[1], second[1]}

    # Returned unresolved at the maximum tier (3): never placed again.
    _recall(wh, third[0], dt.date(2028, 5, 31), "EXPIRED")
    select_and_allocate(wh, lake, settings, _month(2028, 9), seed=1)
    assert worlds._decisions(wh, _month(2028, 9))[1] == ("EXCLUDED", "MAX_TIER_REACHED", None)


@pytest.mark.parametrize(("reason", "closure"), [
    ("PAID_IN_FULL", None), ("LEGAL_PROCEEDING", None), ("PLAN_WITH_FUND", None),
    ("FUND_DECISION", "DISPUTED"), ("FUND_DECISION", "INSOLVENT"),
])
def test_a_resolved_recall_starts_afresh_at_tier_1_with_any_agency(world, tmp_path: Path, reason: str,
                                                                  closure: str | None) -> None:
    wh, lake = world
    worlds._build(wh, lake, [worlds._debtor(1, 50_000)])
    settings = worlds._settings(tmp_path, per_month=1, agencies=_agencies("A1"), recall_cooling_off_months=2,
                                performance={"max_share": 1.0})
    select_and_allocate(wh, lake, settings, NOV, seed=1)
    first = _placed(wh, NOV)
    assert first is not None
    _recall(wh, first[0], dt.date(2027, 1, 20), reason, closure=closure)
    select_and_allocate(wh, lake, settings, _month(2027, 4), seed=1)
    again = _placed(wh, _month(2027, 4))
    # Placed again with the same (only) agency, as a first placement: no chain, no previous outcome.
    assert again is not None and again[1:] == ("A1", 1, None, None, None, None)


def test_no_other_agency_serving_the_region_leaves_the_debtor_unplaced(world, tmp_path: Path) -> None:
    wh, lake = world
    worlds._build(wh, lake, [worlds._debtor(1, 50_000)])
    settings = worlds._settings(tmp_path, per_month=1, agencies=_agencies("A1"), recall_cooling_off_months=0,
                                performance={"max_share": 1.0})
    select_and_allocate(wh, lake, settings, NOV, seed=1)
    first = _placed(wh, NOV)
    assert first is not None
    _recall(wh, first[0], dt.date(2027, 4, 30), "EXPIRED")
    select_and_allocate(wh, lake, settings, _month(2027, 5), seed=1)
    assert worlds._decisions(wh, _month(2027, 5))[1] == ("NOT_SELECTED", "NO_OTHER_AGENCY", 1)
    assert _placed(wh, _month(2027, 5)) is None


def test_max_tier_1_switches_replacement_off(world, tmp_path: Path) -> None:
    wh, lake = world
    worlds._build(wh, lake, [worlds._debtor(1, 50_000)])
    settings = worlds._settings(tmp_path, per_month=1, agencies=_agencies("A1", "A2"), recall_cooling_off_months=0,
                                max_placement_tier=1)
    select_and_allocate(wh, lake, settings, NOV, seed=1)
    first = _placed(wh, NOV)
    assert first is not None
    _recall(wh, first[0], dt.date(2027, 4, 30), "EXPIRED")
    select_and_allocate(wh, lake, settings, _month(2027, 5), seed=1)
    assert worlds._decisions(wh, _month(2027, 5))[1][1] == "MAX_TIER_REACHED"


def test_kpis_by_tier(world, tmp_path: Path) -> None:
    wh, lake = world
    worlds._build(wh, lake, [worlds._debtor(1, 50_000), worlds._debtor(2, 40_000)])
    settings = worlds._settings(tmp_path, per_month=2, agencies=_agencies("A1", "A2"), recall_cooling_off_months=0)
    select_and_allocate(wh, lake, settings, NOV, seed=1)
    first = _placed(wh, NOV)
    assert first is not None
    _recall(wh, first[0], dt.date(2027, 4, 30), "EXPIRED", recovered="1000.00")
    wh.execute("UPDATE core.dossier SET status = 'RECALLED' WHERE debtor_id = 2")
    select_and_allocate(wh, lake, settings, _month(2027, 5), seed=1)
    load_kpis(wh, _month(2027, 5), computed_at=dt.datetime(2027, 6, 1))
    rows = wh.query("SELECT placement_tier, sum(dossiers_count), sum(assigned_amount), sum(recovered_to_date) "
                    "FROM marts.v_recovery_tier WHERE as_of_month = ? GROUP BY placement_tier "
                    "ORDER BY placement_tier", [_month(2027, 5)])
    # Tier 1: the two November dossiers (55,000 + 44,000) and debtor 2's May one; tier 2: debtor 1's.
    assert rows == [(1, 3, Decimal("143000.00"), Decimal("1000.00")), (2, 1, Decimal("55000.00"), Decimal("0.00"))]


def _past(dossier_id: str, agency: str, day: dt.date, reason: str, *, tier: int = 1, prev: str | None = None,
          closure: str | None = None, retired: bool = False) -> PastDossier:
    return PastDossier(dossier_id, 1, "1000001", agency, tier, prev, day, reason, closure, retired, Decimal(0))


def test_the_latest_recall_decides_and_the_chain_names_every_earlier_agency() -> None:
    a = _past("D202611-000001", "A1", dt.date(2027, 4, 30), "EXPIRED")
    b = _past("D202707-000001", "A2", dt.date(2027, 9, 10), "FUND_DECISION", tier=2, prev=a.dossier_id,
              closure="OTHER")
    got = next_placements([b, a], {})[1]
    assert (got.tier, got.held_by, got.previous) == (3, frozenset({"A1", "A2"}), b)
    # A retired agency's recall is unresolved; a later PAID_IN_FULL ends the chain.
    retired = _past("D202611-000002", "A9", dt.date(2027, 2, 1), "FUND_DECISION", retired=True)
    assert next_placements([retired], {})[1].held_by == {"A9"}
    paid = _past("D202712-000001", "A3", dt.date(2028, 1, 5), "PAID_IN_FULL", tier=3, prev=b.dossier_id)
    assert next_placements([a, b, paid], {}).get(1, FIRST) == FIRST

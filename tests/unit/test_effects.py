"""Agency effects (recouvra.effects): the randomised comparison finds a real difference, does not find
one that is not there, is not fooled by an agency given better strata, and says when it cannot tell."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import numpy as np
import pytest

from recouvra.effects import ALL_VINTAGES, Position, agency_effects, compare, effect_records

pytestmark = pytest.mark.unit

JUL, AUG = dt.date(2026, 7, 1), dt.date(2026, 8, 1)


def _positions(rates: dict[str, float], *, n: int = 60, strata: tuple[tuple[str, str, int], ...] = (
        ("Casablanca-Settat", "FRESH", 1), ("Souss-Massa", "UNPAID_TITLE", 2)),
        month: dt.date = JUL, m: int = 2, seed: int = 1, stratum_rates: dict[int, float] | None = None,
        only: dict[str, tuple[int, ...]] | None = None) -> list[Position]:
    """``n`` dossiers per agency and stratum; each recovers all (with probability = its rate) or nothing."""
    rng = np.random.default_rng(seed)
    out = []
    for agency, rate in rates.items():
        for k, stratum in enumerate(strata):
            if only and agency in only and k not in only[agency]:
                continue
            p = rate * (stratum_rates or {}).get(k, 1.0)
            for i in range(n):
                assigned = float(rng.integers(5_000, 50_000))
                recovered = assigned if rng.random() < p else 0.0
                out.append(Position(f"D{month:%Y%m}-{agency}{k}{i:04d}", agency, month, stratum, m, assigned,
                                    recovered))
    return out


def test_a_real_difference_is_significant_and_stated_plainly() -> None:
    positions = _positions({"AG01": 0.6, "AG02": 0.2, "AG03": 0.2})
    e = compare(positions, "AG01", "2026-07", 2, seed=7)
    assert (e.dossiers_count, e.pool_dossiers_count, e.strata_count, e.dossiers_left_out) == (120, 240, 2, 0)
    assert e.effect is not None and e.ci_low is not None and e.ci_high is not None
    assert 0.25 < e.effect < 0.55 and e.ci_low > 0 and e.ci_low < e.effect < e.ci_high
    assert e.significant is True
    assert e.finding.startswith("AG01 recovered ") and "points more than the other agencies" in e.finding
    assert e.finding.endswith(": significant")
    unequal = _positions({"AG01": 0.5, "AG02": 0.1, "AG03": 0.5}, n=100)
    worse = compare(unequal, "AG02", "2026-07", 2, seed=7)
    assert worse.effect is not None and worse.effect < 0 and worse.significant is True
    assert "points less than" in worse.finding


def test_no_difference_is_not_significant() -> None:
    positions = _positions({"AG01": 0.3, "AG02": 0.3, "AG03": 0.3}, seed=4)
    e = compare(positions, "AG01", "2026-07", 2, seed=7)
    assert e.ci_low is not None and e.ci_high is not None and e.ci_low < 0 < e.ci_high
    assert e.significant is False and e.finding.endswith("not significant: the difference may be chance")


def test_an_agency_given_better_strata_is_not_credited_for_them() -> None:
    # Stratum 0 recovers five times stratum 1 for every agency; AG01 got mostly stratum 0 (few of stratum 1).
    strata_rates = {0: 1.0, 1: 0.2}
    good = _positions({"AG01": 0.7}, n=90, stratum_rates=strata_rates, only={"AG01": (0,)}, seed=2)
    few = _positions({"AG01": 0.7}, n=10, stratum_rates=strata_rates, only={"AG01": (1,)}, seed=3)
    pool = _positions({"AG02": 0.7, "AG03": 0.7}, n=50, stratum_rates=strata_rates, seed=5)
    positions = good + few + pool
    e = compare(positions, "AG01", "2026-07", 2, seed=7)
    raw_pool = sum(p.recovered for p in pool) / sum(p.assigned for p in pool)
    assert e.agency_rate is not None and e.agency_rate - raw_pool > 0.15  # a naive comparison flatters AG01
    assert e.effect is not None and abs(e.effect) < 0.1 and e.significant is False


def test_strata_no_other_agency_shares_are_left_out_and_counted() -> None:
    north = (("Tanger-Tétouan-Al Hoceïma", "FRESH", 1),)
    positions = _positions({"AG03": 0.3}, strata=north, n=15) + _positions({"AG01": 0.3, "AG03": 0.3}, n=40)
    e = compare(positions, "AG03", "2026-07", 2, seed=1)
    assert (e.dossiers_count, e.dossiers_left_out, e.strata_count) == (80, 15, 2)


def test_too_few_comparable_dossiers_claims_nothing() -> None:
    positions = _positions({"AG01": 0.9, "AG02": 0.1}, n=5)
    e = compare(positions, "AG01", "2026-07", 2, seed=1)
    assert e.agency_rate is not None and e.pool_rate is not None
    assert (e.effect, e.ci_low, e.ci_high, e.significant) == (None, None, None, None)
    assert e.finding == "AG01: too few comparable dossiers to say (10 of the agency's, 10 of the others')"


def test_every_vintage_and_all_together_at_each_months_on_book_reproducibly() -> None:
    positions = (_positions({"AG01": 0.5, "AG02": 0.2}, month=JUL, m=0, n=30)
                 + _positions({"AG01": 0.5, "AG02": 0.2}, month=JUL, m=1, n=30)
                 + _positions({"AG01": 0.5, "AG02": 0.2}, month=AUG, m=0, n=30, seed=9))
    effects = agency_effects(positions, AUG, reps=500)
    scopes = [("2026-07", 0), ("2026-07", 1), ("2026-08", 0), (ALL_VINTAGES, 0), (ALL_VINTAGES, 1)]
    assert sorted((e.vintage, e.months_on_book, e.agency_code) for e in effects) == sorted(
        (v, m, a) for v, m in scopes for a in ("AG01", "AG02"))
    both = {(e.vintage, e.months_on_book, e.agency_code): e for e in effects}
    assert both[(ALL_VINTAGES, 0, "AG01")].dossiers_count == 120  # July's and August's at 0 months on book
    assert agency_effects(positions, AUG, reps=500) == effects  # seeded: a re-run gives the same numbers
    rows = effect_records(effects, AUG, dt.datetime(2026, 9, 3, 9))
    first = rows[0]
    assert isinstance(first["effect"], Decimal) and first["effect"].as_tuple().exponent == -6
    amount = first["assigned_amount"]
    assert isinstance(amount, Decimal) and amount.as_tuple().exponent == -2

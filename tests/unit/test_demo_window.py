"""scripts/demo-lib.sh demo_window: which months `make demo MONTHS=N` runs, and the seed window before them.

Airflow backfills past logical dates only; the demo's last instant is its closing month's 1st, 02:00 in
the fund's time zone. Beyond what fits after July 2026, the demo starts earlier and the seed's history
ends the month before its first month.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

ROOT = Path(__file__).resolve().parents[2]
FUND = ZoneInfo("Africa/Casablanca")


def _epoch(text: str) -> int:
    return int(dt.datetime.fromisoformat(text).replace(tzinfo=FUND).timestamp())


def window(months: int, now: str, **env: str) -> tuple[str, str]:
    """(DEMO_START, RECOUVRA__SEED__END_MONTH) as demo_window exports them at ``now`` (the fund's time)."""
    clean = {k: v for k, v in os.environ.items()
             if k not in {"DEMO_START", "RECOUVRA__SEED__END_MONTH"}}
    out = subprocess.run(
        ["bash", "-c", 'source scripts/demo-lib.sh && demo_window "$1" "$2" '
                       '&& bash -c \'echo "$DEMO_START $RECOUVRA__SEED__END_MONTH"\'',
         "_", str(months), str(_epoch(now))],
        cwd=ROOT, env={**clean, **env}, capture_output=True, text=True, check=True,
    ).stdout.split()
    return out[0], out[1]


def _add_months(day: dt.date, n: int) -> dt.date:
    k = day.year * 12 + day.month - 1 + n
    return dt.date(k // 12, k % 12 + 1, 1)


def test_the_default_demo_keeps_july_and_the_configured_seed_window() -> None:
    assert window(3, "2026-12-03T14:00") == ("2026-07-01", "2026-06")
    assert window(5, "2026-12-03T14:00") == ("2026-07-01", "2026-06")  # closing month December: past


def test_seven_months_on_2026_12_03_start_in_may_on_a_seed_ending_with_april() -> None:
    """The run of docs/selection.md: May to November, closing with December 2026."""
    assert window(6, "2026-12-03T14:00") == ("2026-06-01", "2026-05")
    assert window(7, "2026-12-03T14:00") == ("2026-05-01", "2026-04")


def test_before_two_oclock_on_the_first_the_month_is_not_past_yet() -> None:
    assert window(7, "2026-12-01T01:59") == ("2026-04-01", "2026-03")
    assert window(7, "2026-12-01T02:01") == ("2026-05-01", "2026-04")


def test_a_given_start_or_seed_window_is_kept() -> None:
    assert window(3, "2026-12-03T14:00", DEMO_START="2026-03-01") == ("2026-03-01", "2026-02")
    assert window(7, "2026-12-03T14:00", RECOUVRA__SEED__END_MONTH="2026-01") == ("2026-05-01", "2026-01")


@pytest.mark.parametrize("months", [1, 4, 6, 9, 12, 24])
@pytest.mark.parametrize("now", ["2026-12-03T14:00", "2027-01-01T00:30", "2027-03-31T23:59"])
def test_every_instant_the_demo_backfills_is_past_and_the_seed_ends_before_it(months: int, now: str) -> None:
    start, seed_end = window(months, now)
    first = dt.date.fromisoformat(start)
    closing = _add_months(first, months)
    last_instant = dt.datetime.combine(closing, dt.time(2, 0), FUND)
    assert last_instant.timestamp() < _epoch(now)  # scripts/demo.sh refuses the run otherwise
    assert first <= dt.date(2026, 7, 1)
    if first < dt.date(2026, 7, 1):  # moved earlier only as far as needed: the next month is not past
        assert dt.datetime.combine(_add_months(closing, 1), dt.time(2, 0), FUND).timestamp() >= _epoch(now)
    assert seed_end == _add_months(first, -1).strftime("%Y-%m")

"""The fund's calendar: a run's date derived once, months checked one way everywhere."""

from __future__ import annotations

import datetime as dt

import pytest

from recouvra.calendar import (
    FUND_TZ,
    CalendarError,
    RunDate,
    add_months,
    month_end,
    month_label,
    month_of,
    require_month,
)
from recouvra.errors import RecouvraError


def test_run_date_reads_the_instant_in_the_funds_time_zone() -> None:
    # 23:30 UTC on 31 October is already 1 November in Casablanca (UTC+1).
    run = RunDate.at(dt.datetime(2026, 10, 31, 23, 30, tzinfo=dt.UTC))
    assert run.day == dt.date(2026, 11, 1)
    assert run.month == dt.date(2026, 11, 1)
    assert run.previous_month == dt.date(2026, 10, 1)
    assert run.cut == dt.datetime(2026, 11, 1, tzinfo=FUND_TZ)
    assert run.cut.astimezone(dt.UTC) == dt.datetime(2026, 10, 31, 23, 0, tzinfo=dt.UTC)
    # a naive instant is UTC, as Airflow stores them
    assert RunDate.at(dt.datetime(2026, 10, 31, 23, 30)) == run


@pytest.mark.parametrize(("day", "month", "previous"), [
    (dt.date(2027, 1, 15), dt.date(2027, 1, 1), dt.date(2026, 12, 1)),
    (dt.date(2026, 3, 31), dt.date(2026, 3, 1), dt.date(2026, 2, 1)),
    (dt.date(2028, 2, 29), dt.date(2028, 2, 1), dt.date(2028, 1, 1)),
])
def test_month_and_previous_month(day: dt.date, month: dt.date, previous: dt.date) -> None:
    run = RunDate(day)
    assert (run.month, run.previous_month, str(run)) == (month, previous, day.isoformat())


def test_a_run_date_is_a_date_not_a_datetime_or_a_string() -> None:
    with pytest.raises(CalendarError, match="not a date"):
        RunDate(dt.datetime(2026, 11, 1, 2, 0))  # type: ignore[arg-type]
    with pytest.raises(CalendarError, match="not a date"):
        RunDate("2026-11-01")  # type: ignore[arg-type]


def test_months_are_first_days_and_nothing_else() -> None:
    assert require_month(dt.date(2026, 11, 1)) == dt.date(2026, 11, 1)
    with pytest.raises(CalendarError, match=r"2026-11-15 is not the first day of a month \(e.g. 2026-11-01"):
        require_month(dt.date(2026, 11, 15))
    with pytest.raises(CalendarError, match="'2026-11' is not a date"):
        require_month("2026-11")
    with pytest.raises(CalendarError, match="not a date"):
        require_month(dt.datetime(2026, 11, 1))

    class StageError(RecouvraError):
        pass

    with pytest.raises(StageError, match="statement month 2026-11-02"):
        require_month(dt.date(2026, 11, 2), "statement month", StageError)


def test_month_arithmetic() -> None:
    assert month_of(dt.date(2026, 12, 31)) == dt.date(2026, 12, 1)
    assert add_months(dt.date(2026, 12, 1), 1) == dt.date(2027, 1, 1)
    assert add_months(dt.date(2026, 1, 1), -13) == dt.date(2024, 12, 1)
    assert month_end(dt.date(2028, 2, 1)) == dt.date(2028, 2, 29)


@pytest.mark.parametrize(
    ("when", "month"),
    [
        (dt.datetime(2026, 10, 31, 23, 30, tzinfo=dt.UTC), "2026-11"),  # already November in Casablanca
        (dt.datetime(2026, 11, 1, 0, 0, tzinfo=dt.UTC), "2026-11"),
        (dt.datetime(2026, 12, 31, 12, 0, tzinfo=dt.UTC), "2026-12"),
        (None, "-"),
    ],
)
def test_month_label_is_the_programme_month_in_morocco(when: dt.datetime | None, month: str) -> None:
    assert month_label(when) == month

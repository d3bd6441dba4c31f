"""The seed's calendar (recouvra.standins.generator.timeline): month indexes, day numbers, due days and
the text lookups that turn whole columns of days into ISO dates."""

from __future__ import annotations

import datetime as dt

import numpy as np

from recouvra.standins.generator.timeline import (
    NULL_DAY,
    Timeline,
    day_number,
    day_of_month,
    month_index,
    month_of_day,
    month_start,
    month_start_days,
    parse_month,
)

NOV26 = 2026 * 12 + 10


def test_months_are_year_times_twelve_plus_month_minus_one() -> None:
    assert month_index(2026, 11) == parse_month("2026-11") == NOV26
    assert month_index(2027, 1) == NOV26 + 2
    assert month_start(NOV26) == dt.date(2026, 11, 1)
    assert month_start(month_index(2024, 12)) == dt.date(2024, 12, 1)


def test_day_numbers_and_their_month_and_day() -> None:
    assert day_number(dt.date(1970, 1, 1)) == 0
    assert day_number(dt.date(1970, 1, 2)) == 1
    days = np.array([day_number(dt.date(2026, 11, 30)), day_number(dt.date(2024, 2, 29)),
                     day_number(dt.date(1969, 12, 31))])
    assert month_of_day(days).tolist() == [NOV26, month_index(2024, 2), month_index(1969, 12)]
    assert day_of_month(days).tolist() == [30, 29, 31]
    assert month_start_days(np.array([NOV26, month_index(2024, 3)])).tolist() == [
        day_number(dt.date(2026, 11, 1)), day_number(dt.date(2024, 3, 1))]


def test_a_timeline_states_its_window_as_of_and_due_days() -> None:
    t = Timeline(end_month=month_index(2026, 10), history_months=36, due_day=10)
    assert t.start_month == month_index(2023, 11)
    assert t.as_of == dt.date(2026, 10, 31) and t.as_of_day == day_number(dt.date(2026, 10, 31))
    # contributions of a period are due on the 10th of the following month, December into January
    due = t.due_days(np.array([month_index(2026, 1), month_index(2025, 12)]))
    assert due.tolist() == [day_number(dt.date(2026, 2, 10)), day_number(dt.date(2026, 1, 10))]


def test_days_seconds_and_months_as_text() -> None:
    t = Timeline(end_month=month_index(2026, 10), history_months=36, due_day=10)
    days = np.array([day_number(dt.date(2026, 10, 31)), NULL_DAY, day_number(dt.date(1940, 1, 1))])
    assert t.dates(days) == ["2026-10-31", None, "1940-01-01"]
    assert t.timestamps(np.array([day_number(dt.date(2026, 10, 31))] * 2), np.array([0, 86399])) == [
        "2026-10-31 00:00:00", "2026-10-31 23:59:59"]
    assert t.timestamps(np.array([day_number(dt.date(2025, 7, 1))]), np.array([3661])) == [
        "2025-07-01 01:01:01"]
    assert t.periods(np.array([month_index(2026, 1), month_index(1999, 12)])) == ["2026-01", "1999-12"]

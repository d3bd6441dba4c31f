"""Calendar of a seed: month indexes, day numbers, the due date of a period, and fast text lookups.

Months are integers ``year * 12 + month - 1`` and days are numpy day numbers (days since
1970-01-01), so that whole columns of dates are computed with array arithmetic and turned into
ISO text by indexing precomputed tables instead of formatting row by row.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cached_property
from typing import cast

import numpy as np

EPOCH = dt.date(1970, 1, 1)
FIRST_DAY = dt.date(1940, 1, 1)
LAST_DAY = dt.date(2040, 12, 31)
NULL_DAY = -(10**6)  # a missing date in a day-number array
_FIRST_ORD = (FIRST_DAY - EPOCH).days


def month_index(year: int, month: int) -> int:
    return year * 12 + month - 1


def parse_month(text: str) -> int:
    """'YYYY-MM' as a month index."""
    y, m = text.split("-")
    return month_index(int(y), int(m))


def month_start(m: int) -> dt.date:
    return dt.date(m // 12, m % 12 + 1, 1)


def day_number(d: dt.date) -> int:
    return (d - EPOCH).days


def month_of_day(days: np.ndarray) -> np.ndarray:
    """Month index of each day number."""
    months = days.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
    return months + 1970 * 12


def day_of_month(days: np.ndarray) -> np.ndarray:
    d = days.astype("datetime64[D]")
    return cast("np.ndarray", (d - d.astype("datetime64[M]").astype("datetime64[D]")).astype(np.int64) + 1)


def month_start_days(months: np.ndarray) -> np.ndarray:
    """Day number of the first day of each month index."""
    return (months - 1970 * 12).astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)


@dataclass(frozen=True)
class Timeline:
    """The seed's history window and as-of date.

    ``end_month`` is the last declared month; the as-of date is its last day (the end of the seed
    history): receivables, surcharges and statuses are stated as at that day. Contributions of a
    period are due on ``due_day`` of the following month.
    """

    end_month: int
    history_months: int
    due_day: int

    @property
    def start_month(self) -> int:
        return self.end_month - self.history_months + 1

    @property
    def as_of(self) -> dt.date:
        return month_start(self.end_month + 1) - dt.timedelta(days=1)

    @property
    def as_of_day(self) -> int:
        return day_number(self.as_of)

    def due_days(self, periods: np.ndarray) -> np.ndarray:
        """Due date (day number) of each period: ``due_day`` of the following month."""
        return month_start_days(periods + 1) + (self.due_day - 1)

    @cached_property
    def day_text(self) -> np.ndarray:
        """ISO date text by ``day - FIRST_DAY + 1``; index 0 is None (a missing date)."""
        n = (LAST_DAY - FIRST_DAY).days + 1
        days = np.datetime64(FIRST_DAY.isoformat(), "D") + np.arange(n)
        out = np.empty(n + 1, dtype=object)
        out[0] = None
        out[1:] = days.astype(str).astype(object)
        return out

    @cached_property
    def time_text(self) -> np.ndarray:
        """' HH:MM:SS' by second of the day."""
        return np.array([f" {s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}" for s in range(86400)],
                        dtype=object)

    @cached_property
    def period_text(self) -> np.ndarray:
        """'YYYY-MM' by month index - month_index(1940, 1)."""
        base = month_index(1940, 1)
        return np.array([f"{m // 12:04d}-{m % 12 + 1:02d}" for m in range(base, base + 101 * 12)],
                        dtype=object)

    def dates(self, days: np.ndarray) -> list[str | None]:
        """Day numbers as ISO text (NULL_DAY as None)."""
        idx = days - _FIRST_ORD + 1
        idx = np.where(days == NULL_DAY, 0, idx)
        return cast("list[str | None]", self.day_text[idx].tolist())

    def timestamps(self, days: np.ndarray, seconds: np.ndarray) -> list[str]:
        """Day numbers plus seconds of the day as 'YYYY-MM-DD HH:MM:SS'."""
        return cast("list[str]", (self.day_text[days - _FIRST_ORD + 1] + self.time_text[seconds]).tolist())

    def periods(self, months: np.ndarray) -> list[str]:
        return cast("list[str]", self.period_text[months - month_index(1940, 1)].tolist())

"""The fund's calendar: its time zone, months, and the date a run works for (:class:`RunDate`).

Kernel: every layer may import it; it imports nothing of the project but its errors. A run's date is
derived once, from the Airflow context, by the adapter (:func:`recouvra.airflow_adapter.run_date`), and
passed down typed: stages never guess a month from a string or a day.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from recouvra.errors import RecouvraError

#: The fund works in Morocco's local time: schedules, "today" and months follow it (agency-exchange v1).
FUND_TZ_NAME = "Africa/Casablanca"
FUND_TZ = ZoneInfo(FUND_TZ_NAME)
#: A contribution period as the fund writes it: ``YYYY-MM`` (declarations, receivables, the ledger).
PERIOD_PATTERN = r"[0-9]{4}-(?:0[1-9]|1[0-2])"  # no capturing group: pandas/GX match with it


class CalendarError(RecouvraError):
    """A date that is not what the caller must pass (a month that is not a first day, a datetime...)."""


def month_of(day: dt.date) -> dt.date:
    """The month a day belongs to, as its first day."""
    return dt.date(day.year, day.month, 1)


def add_months(month: dt.date, months: int) -> dt.date:
    """The first day of the month ``months`` after (or before, when negative) the month of ``month``."""
    index = month.year * 12 + month.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def month_end(month: dt.date) -> dt.date:
    """The last day of the month of ``month``."""
    return add_months(month, 1) - dt.timedelta(days=1)


def require_month(month: object, what: str = "month", error: type[RecouvraError] = CalendarError) -> dt.date:
    """``month`` itself when it is a month (a date on the 1st, not a datetime, not a string); otherwise
    ``error`` (the calling stage's own error type; :class:`CalendarError` by default) naming the value.
    The one check every stage applies to a month it is given: none normalises a day or parses a string.
    """
    if isinstance(month, dt.datetime) or not isinstance(month, dt.date):
        raise error(f"{what} {month!r} is not a date (expected the month's first day, e.g. 2026-11-01)")
    if month.day != 1:
        raise error(f"{what} {month.isoformat()} is not the first day of a month (e.g. "
                    f"{month_of(month).isoformat()})")
    return month


@dataclass(frozen=True, order=True)
class RunDate:
    """The date a DAG run works for, in the fund's time zone.

    ``day`` is the run's logical day; ``month`` the month it belongs to (its first day);
    ``previous_month`` the month before (what a statement or a KPI run of the 1st closes); ``cut`` the
    instant the run's data stop at: the start of ``day`` in the fund's time zone (what the source held
    then, what the ledger had recorded by then).
    """

    day: dt.date

    def __post_init__(self) -> None:
        if isinstance(self.day, dt.datetime) or not isinstance(self.day, dt.date):
            raise CalendarError(f"run date {self.day!r} is not a date")

    @classmethod
    def at(cls, when: dt.datetime) -> RunDate:
        """The run date of an instant (a logical date, the time a run was queued): its day in the
        fund's time zone. A naive instant is read as UTC, as Airflow stores them."""
        aware = when if when.tzinfo is not None else when.replace(tzinfo=dt.UTC)
        return cls(aware.astimezone(FUND_TZ).date())

    @property
    def month(self) -> dt.date:
        return month_of(self.day)

    @property
    def previous_month(self) -> dt.date:
        return add_months(self.day, -1)

    @property
    def cut(self) -> dt.datetime:
        return dt.datetime.combine(self.day, dt.time(), tzinfo=FUND_TZ)

    def __str__(self) -> str:
        return self.day.isoformat()


def month_label(when: dt.datetime | None) -> str:
    """The programme month of an instant as text (YYYY-MM, the fund's local time), for file names,
    messages and alerts; '-' for runs without one. Code passes months as dates (:func:`month_of`)."""
    if when is None:
        return "-"
    return when.astimezone(FUND_TZ).strftime("%Y-%m")

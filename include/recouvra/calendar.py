"""The fund's calendar: its time zone, in which "today", a run's day and a programme month are read.

Kernel: every layer may import it; it imports nothing of the project.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

#: The fund works in Morocco's local time: schedules, "today" and months follow it (agency-exchange v1).
FUND_TZ_NAME = "Africa/Casablanca"
FUND_TZ = ZoneInfo(FUND_TZ_NAME)

"""Added debts: new unpaid months of a debtor whose dossier is with an agency go to that dossier.

:func:`add_debts` (a function of its day ``on``) finds, for every dossier PUBLISHED and never recalled
whose window holds ``on``, the months its debtor owes per the lake as of ``on`` (over the debtor's
current affiliation numbers, as the dossier's own amounts were read) that are newer than every month the
dossier was assigned and not added before, and writes them to ``core.dossier_addition`` with
``added_on = on``. The supplementary detail file (``CNSS_ADDED``,
:func:`recouvra.publication.build_added_files`) carries them to the agency; once it is recorded
as published, each month counts for the agency from ``added_on`` (attribution, what the dossier owes,
the KPIs: :mod:`recouvra.owed`).

Idempotent: a re-run of the day rewrites that day's rows not yet published (same lake, same rows); once
a day's file is published the day is frozen; a day before the latest day with additions adds nothing
(the later day already added what was new). Rules: docs/agency-exchange.md, "Added debts".
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from recouvra.selection.common import centimes_to_mad, outstanding_by_owner
from recouvra.sqlfiles import query

if TYPE_CHECKING:
    from pathlib import Path

    from recouvra.warehouse import Warehouse

log = logging.getLogger(__name__)
KINDS = (("PRINCIPAL", 0), ("SURCHARGE", 1), ("PENALTY", 2))


@dataclass
class AdditionReport:
    """What a day's additions did (plain values, fit for XCom and logs)."""

    on: str
    dossiers: int = 0
    rows: int = 0
    total: str = "0.00"
    agencies: dict[str, int] = field(default_factory=dict)
    frozen: bool = False
    kept_after: str | None = None

    def summary(self) -> str:
        if self.kept_after:
            return f"added debts {self.on}: kept (a later day, {self.kept_after}, already added)"
        state = " (published, left as is)" if self.frozen else ""
        return (
            f"added debts {self.on}{state}: {self.rows} rows on {self.dossiers} dossiers, "
            f"{self.total} MAD, by agency {self.agencies}"
        )

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class _Added:
    dossier_id: str
    period: dt.date
    kind: str
    amount: Decimal
    title_id: str | None
    agency: str


def _date(value: Any) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


def new_months(
    owed: list[tuple[str, str | None, int, int, int]], newest: dt.date, taken: set[dt.date]
) -> list[tuple[dt.date, str | None, str, Decimal]]:
    """(period, title_id, kind, amount MAD) of the months in ``owed`` (lake rows, centimes, possibly one per
    affiliation number) newer than ``newest`` and not in ``taken``, summed per month and kind."""
    by_period: dict[dt.date, list[Any]] = {}
    for period, title_id, p, s, pen in owed:
        month = dt.date(int(period[:4]), int(period[5:7]), 1)
        if month <= newest or month in taken:
            continue
        acc = by_period.setdefault(month, [None, 0, 0, 0])
        if title_id is not None and (acc[0] is None or title_id < acc[0]):
            acc[0] = title_id
        acc[1] += p
        acc[2] += s
        acc[3] += pen
    out = []
    for month in sorted(by_period):
        title_id, *cents = by_period[month]
        out += [(month, title_id, kind, centimes_to_mad(cents[i])) for kind, i in KINDS if cents[i] > 0]
    return out


def add_debts(wh: Warehouse, lake: Path, on: dt.date) -> AdditionReport:
    """Add the new unpaid months of day ``on`` to the open dossiers (module docstring)."""
    import pyarrow as pa

    report = AdditionReport(on.isoformat())
    existing = wh.query(query("selection/select_dossier_additions"))
    later = max((_date(r[5]) for r in existing if _date(r[5]) > on), default=None)
    if later is not None:
        report.kept_after = later.isoformat()
        log.info(report.summary())
        return report
    if any(_date(r[5]) == on and r[6] is not None for r in existing):
        report.frozen = True
        _count(
            [
                _Added(str(r[0]), _date(r[1]), str(r[2]), Decimal(r[3]), None, str(r[4]))
                for r in existing
                if _date(r[5]) == on
            ],
            report,
        )
        log.info(report.summary())
        return report
    taken: dict[str, set[dt.date]] = defaultdict(set)
    for r in existing:
        if _date(r[5]) < on or r[6] is not None:
            taken[str(r[0])].add(_date(r[1]))
    dossiers = wh.query(query("selection/select_dossiers_open_on"), [on, on])
    debtors = sorted({int(r[1]) for r in dossiers})
    affs: dict[int, set[str]] = defaultdict(set)
    if debtors:
        for debtor, aff in wh.query(query("selection/select_debtor_affiliations"), [debtors]):
            affs[int(debtor)].add(str(aff))
    pairs = [(aff, str(r[0])) for r in dossiers for aff in sorted(affs[int(r[1])] | {str(r[2])})]
    owed = outstanding_by_owner(lake, on, pairs)
    added = [
        _Added(str(dossier_id), period, kind, amount, title_id, str(agency))
        for dossier_id, _, _, agency, newest in dossiers
        for period, title_id, kind, amount in new_months(
            owed.get(str(dossier_id), []), _date(newest), taken[str(dossier_id)]
        )
    ]
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    with wh.transaction():
        wh.execute(query("selection/delete_unsent_additions"), [on])
        if added:
            wh.load_arrow(
                "core.dossier_addition",
                pa.table(
                    {
                        "dossier_id": pa.array([a.dossier_id for a in added], pa.string()),
                        "period": pa.array([a.period for a in added], pa.date32()),
                        "kind": pa.array([a.kind for a in added], pa.string()),
                        "amount_due": pa.array([a.amount for a in added], pa.decimal128(18, 2)),
                        "title_id": pa.array([a.title_id for a in added], pa.string()),
                        "agency_code": pa.array([a.agency for a in added], pa.string()),
                        "added_on": pa.array([on] * len(added), pa.date32()),
                        "created_at": pa.array([now] * len(added), pa.timestamp("us")),
                    }
                ),
            )
    _count(added, report)
    log.info(report.summary())
    return report


def _count(rows: list[_Added], report: AdditionReport) -> None:
    report.rows = len(rows)
    report.dossiers = len({a.dossier_id for a in rows})
    report.total = str(sum((a.amount for a in rows), Decimal("0.00")))
    by_agency: dict[str, set[str]] = defaultdict(set)
    for a in rows:
        by_agency[a.agency].add(a.dossier_id)
    report.agencies = {k: len(v) for k, v in sorted(by_agency.items())}

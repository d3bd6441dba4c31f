"""Dossier lifecycle: recalls of dossiers whose window ended or whose situation changed.

:func:`refresh_dossiers` looks at every dossier still with its agency (ALLOCATED or PUBLISHED, not
recalled, window begun) on a date ``on`` and states it on its *effective date*
``e = min(on, assignment_end)``: a dossier whose window ended is judged as it stood on its last day.
The first reason that applies wins:

1. ``PAID_IN_FULL``: nothing is left open on its assigned months and kinds (the lake, on ``e``);
2. ``MERGED_DUPLICATE``: its debtor was merged into another debtor that has an open dossier too;
3. ``LEGAL_PROCEEDING``: a proceeding (forced recovery, receivership, liquidation) opened after the
   portfolio date of its selection is open on ``e``;
4. ``PLAN_WITH_FUND``: a payment plan was signed with the fund after that date, on or before ``e``,
   and the agency had not reported a plan request for the dossier before it (its own success);
5. ``EXPIRED``: the window ended before ``on``.

The recall is written to ``core.dossier_recall`` (recall_date = ``e``: the agency's last day; never
earlier than the refresh for an event-driven recall, so the agency's work up to now still counts;
``recalled_amount`` = what is still open of the assignment on ``e``; ``file_name`` NULL until a recall
file tells the agency) and the dossier becomes RECALLED, in one transaction. Idempotent: a recalled
dossier is no longer examined.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from recouvra.selection.common import centimes_to_mad, outstanding_by_owner, sql

if TYPE_CHECKING:
    from pathlib import Path

    from recouvra.config import Settings
    from recouvra.warehouse import Warehouse

log = logging.getLogger(__name__)
KIND_INDEX = {"PRINCIPAL": 0, "SURCHARGE": 1, "PENALTY": 2}


@dataclass
class LifecycleReport:
    """What a refresh recalled (plain values, fit for XCom and logs)."""

    on: str
    examined: int = 0
    recalled: dict[str, int] = field(default_factory=dict)
    dossiers: dict[str, str] = field(default_factory=dict)  # dossier_id -> reason
    recalled_amount: str = "0.00"

    def summary(self) -> str:
        return (f"dossier refresh {self.on}: {self.examined} open dossiers examined, "
                f"{sum(self.recalled.values())} recalled {self.recalled} ({self.recalled_amount} MAD open)")

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _lake_events(lake: Path, wanted: list[tuple[str, str]]) -> list[tuple[str, str, dt.date, dt.date | None]]:
    import pyarrow as pa

    from recouvra.lake import open_lake

    if not wanted:
        return []
    table = pa.table({"affiliation_no": pa.array([a for a, _ in wanted], pa.string()),
                      "owner": pa.array([o for _, o in wanted], pa.string())})
    with open_lake(lake) as con:
        con.register("wanted", table)
        return [(str(o), str(e), d, u) for o, e, d, u in con.execute(sql("select_lake_events")).fetchall()]


def refresh_dossiers(wh: Warehouse, lake: Path, settings: Settings, on: dt.date) -> LifecycleReport:
    """Recall the dossiers that must leave their agency on ``on`` (see the module docstring)."""
    report = LifecycleReport(on.isoformat())
    rows = wh.query(sql("select_refresh_dossiers"), [on])
    report.examined = len(rows)
    if not rows:
        return report
    dossiers = {str(r[0]): (int(r[1]), r[2], r[3], r[4]) for r in rows}
    ids = sorted(dossiers)
    effective = {i: min(on, v[2]) for i, v in dossiers.items()}
    assigned = _assigned_amounts(wh, ids)
    wanted = _affiliations_held(wh, dossiers, effective)
    open_amount = _open_amounts(lake, wanted, assigned)
    events: dict[str, list[tuple[str, dt.date, dt.date | None]]] = {}
    all_pairs = sorted({p for pairs in wanted.values() for p in pairs})
    for owner, event, day, until in _lake_events(lake, all_pairs):
        events.setdefault(owner, []).append((event, day, until))
    agency_plans = {str(i): d for i, d in wh.query(sql("select_agency_plan_requests"), [ids])}
    merged = {int(a): int(b) for a, b in wh.query(sql("select_merged_debtors"))}
    open_debtors = {v[0] for v in dossiers.values()}

    decided: dict[str, tuple[str, dt.date, Decimal]] = {}
    for i in ids:
        debtor_id, _, end, selected_on = dossiers[i]
        amount = open_amount.get(i, sum(assigned.get(i, {}).values(), Decimal("0.00")))
        survivor = merged.get(debtor_id)
        duplicate = survivor is not None and survivor in open_debtors and survivor != debtor_id
        reason = _recall_reason(amount, duplicate, events.get(i, []), selected_on, effective[i], end, on,
                                agency_plans.get(i))
        if reason:
            decided[i] = (reason, effective[i], amount)
    if decided:
        _record_recalls(wh, decided)
    for dossier_id, (reason, _, _) in sorted(decided.items()):
        report.recalled[reason] = report.recalled.get(reason, 0) + 1
        report.dossiers[dossier_id] = reason
    report.recalled_amount = str(sum((v[2] for v in decided.values()), Decimal("0.00")))
    log.info(report.summary())
    return report


def _assigned_amounts(wh: Warehouse, ids: list[str]) -> dict[str, dict[tuple[str, int], Decimal]]:
    """What each dossier was assigned, per month (YYYY-MM) and kind."""
    assigned: dict[str, dict[tuple[str, int], Decimal]] = {}
    for dossier_id, period, kind, amount_due in wh.query(sql("select_dossier_periods"), [ids]):
        month = period if isinstance(period, dt.date) else dt.date.fromisoformat(str(period))
        key = (month.strftime("%Y-%m"), KIND_INDEX[str(kind)])
        assigned.setdefault(str(dossier_id), {})[key] = Decimal(amount_due)
    return assigned


def _affiliations_held(
    wh: Warehouse, dossiers: dict[str, tuple[int, dt.date, dt.date, dt.date]], effective: dict[str, dt.date],
) -> dict[dt.date, list[tuple[str, str]]]:
    """The affiliation numbers each dossier's debtor held during its window, by effective date:
    ``{date: [(affiliation_no, dossier_id)]}``."""
    debtors = sorted({v[0] for v in dossiers.values()})
    held: dict[int, list[tuple[str, dt.date, dt.date | None]]] = {}
    for debtor_id, affiliation_no, valid_from, valid_to in wh.query(sql("select_debtor_bridge_history"),
                                                                     [debtors]):
        held.setdefault(int(debtor_id), []).append((str(affiliation_no), valid_from, valid_to))
    wanted: dict[dt.date, list[tuple[str, str]]] = {}
    for i, (debtor_id, start, _, _) in dossiers.items():
        for aff, valid_from, valid_to in held.get(debtor_id, []):
            if valid_from <= effective[i] and (valid_to is None or valid_to > start):
                wanted.setdefault(effective[i], []).append((aff, i))
    return wanted


def _open_amounts(lake: Path, wanted: dict[dt.date, list[tuple[str, str]]],
                  assigned: dict[str, dict[tuple[str, int], Decimal]]) -> dict[str, Decimal]:
    """Still open on the effective date, per assigned month and kind (never more than assigned)."""
    open_amount: dict[str, Decimal] = {}
    for as_of, pairs in sorted(wanted.items()):
        owed = outstanding_by_owner(lake, as_of, pairs)
        for owner in {o for _, o in pairs}:
            lake_open: dict[tuple[str, int], int] = {}
            for ym, _, principal, surcharge, penalty in owed.get(owner, []):
                for kind_index, cents in enumerate((principal, surcharge, penalty)):
                    lake_open[(ym, kind_index)] = lake_open.get((ym, kind_index), 0) + cents
            open_amount[owner] = sum(
                (min(due, centimes_to_mad(max(lake_open.get(key, 0), 0)))
                 for key, due in assigned.get(owner, {}).items()), Decimal("0.00"))
    return open_amount


def _recall_reason(
    amount: Decimal, duplicate: bool, events: list[tuple[str, dt.date, dt.date | None]], selected_on: dt.date,
    effective: dt.date, end: dt.date, on: dt.date, agency_plan: dt.date | None,
) -> str | None:
    """The first rule that recalls a dossier (module docstring, in order), or None."""
    if amount == 0:
        return "PAID_IN_FULL"
    if duplicate:
        return "MERGED_DUPLICATE"
    if any(ev == "PROCEEDING" and selected_on < day <= effective and (until is None or until > effective)
           for ev, day, until in events):
        return "LEGAL_PROCEEDING"
    if any(ev == "PLAN" and selected_on < day <= effective
           and not (agency_plan is not None and agency_plan <= day) for ev, day, _ in events):
        return "PLAN_WITH_FUND"
    if end < on:
        return "EXPIRED"
    return None


def _record_recalls(wh: Warehouse, decided: dict[str, tuple[str, dt.date, Decimal]]) -> None:
    """Write the recalls (``core.dossier_recall``) and mark the dossiers recalled, in one transaction."""
    import pyarrow as pa

    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    keys = sorted(decided)
    with wh.transaction():
        wh.load_arrow("core.dossier_recall", pa.table({
            "dossier_id": pa.array(keys, pa.string()),
            "recall_date": pa.array([decided[k][1] for k in keys], pa.date32()),
            "reason": pa.array([decided[k][0] for k in keys], pa.string()),
            "recalled_amount": pa.array([decided[k][2] for k in keys], pa.decimal128(18, 2)),
            "decided_at": pa.array([now] * len(keys), pa.timestamp("us")),
            "file_name": pa.array([None] * len(keys), pa.string()),
        }))
        by_date: dict[dt.date, list[str]] = {}
        for recalled in keys:
            by_date.setdefault(decided[recalled][1], []).append(recalled)
        for recall_date, group in sorted(by_date.items()):
            wh.execute(sql("mark_dossiers_recalled"), [recall_date, group])


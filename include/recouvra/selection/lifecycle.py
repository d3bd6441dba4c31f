"""Dossier lifecycle: recalls of dossiers whose window ended or whose situation changed.

:func:`refresh_dossiers` looks at every dossier with its agency (PUBLISHED, not recalled, window begun)
on a date ``on`` and states it on its *effective date* ``e = min(on, assignment_end)``: a dossier whose
window ended is judged as it stood on its last day. The first reason that applies wins:

1. ``PAID_IN_FULL``: it owes nothing more on ``e`` (:func:`recouvra.owed.owed_on`, the one definition
   of what a dossier still owes that attribution and the KPIs use: the fund's ledger, the debtor's
   payments netted month by month over every affiliation number the dossier covers);
2. ``MERGED_DUPLICATE``: its debtor was merged into another debtor that has an open dossier too;
3. ``LEGAL_PROCEEDING``: a proceeding (forced recovery, receivership, liquidation) opened after the
   portfolio date of its selection is open on ``e``;
4. ``PLAN_WITH_FUND``: a payment plan was signed with the fund after that date, on or before ``e``,
   and the agency had not reported a plan request for the dossier before it (its own success);
5. ``FUND_DECISION``: the agency closed the dossier (an accepted CLOSURES record, in a file received
   by the end of ``on`` and dated by it) for a reason other than ``PAID_IN_FULL``: ``INSOLVENT``,
   ``CEASED_NO_ASSETS``, ``UNREACHABLE``, ``DISPUTED`` or ``OTHER``; or the agency is retired on ``e``
   (its ``retired_on`` in the configuration is ``e`` or earlier: :meth:`recouvra.config.Agency.retired_by`);
6. ``EXPIRED``: the window ended before ``on``.

What the fund does with a closure (the agency proposes, the fund decides; ``docs/selection.md``):

* ``PAID_IN_FULL`` is never trusted alone: the dossier is recalled ``PAID_IN_FULL`` by rule 1 when the
  ledger says it owes nothing on ``e``; otherwise the closure recalls nothing, the dossier stays with
  the agency, and the refresh counts it in ``LifecycleReport.closures_unconfirmed`` (and logs it);
* ``INSOLVENT`` and ``CEASED_NO_ASSETS``: recalled ``FUND_DECISION``; the ingestion already carried
  them to the debtor's activity status (:func:`recouvra.ingest.apply_closures`), which excludes the
  debtor from later selections (``INSOLVENT_OR_LIQUIDATION``, ``CEASED_NO_ASSETS``);
* ``UNREACHABLE`` and ``OTHER``: recalled ``FUND_DECISION``; the debtor stays eligible for a later
  placement once the recall's cooling-off has passed;
* ``DISPUTED``: recalled ``FUND_DECISION`` and the dispute recorded in ``core.agency_dispute`` (one
  row per DISPUTED closure of a dossier recalled by the refresh, whatever rule recalled it).

A retired agency (``agencies[].retired_on``) gives back every dossier it holds at the first refresh on or
after that day: each is recalled by the first rule that applies, ``FUND_DECISION`` unless the fund's own
facts give another reason; one whose window ended before ``retired_on`` is ``EXPIRED`` as usual. The
refresh counts them in ``LifecycleReport.agency_retired``. The recall file goes to the agency like any
other (it stays configured, its connection with it).

The fund's own facts come first: a dossier paid in full on ``e`` is recalled ``PAID_IN_FULL`` whatever
its closure says; a merger, a proceeding or a plan with the fund gives its own, more specific reason; a
closure and the window's end on the same refresh give ``FUND_DECISION`` (dated ``e``, the window's last
day at the latest: the agency closed it within its window). No closure makes a dossier CLOSED: the
contract (agency-exchange/1) lets the fund take a dossier back only by a recall, and names no case in
which the fund writes off what is left; status CLOSED stays unused, and the KPIs' ``closed_amount`` 0.

A dossier ALLOCATED but not yet PUBLISHED is never examined: the agency does not hold it, so it is
never recalled (no recall row, no recall file); the publication sends it as allocated, and the first
refresh after its publication judges it. So a publication that failed and is retried sends the same
assignment, and never one dossier in both an assignment and a recall file (``docs/selection.md``).

**Recall notices** (``docs/agency-exchange.md`` "Recall notices and objections"; configuration
``recalls``): an ``EXPIRED`` recall is announced before it is made. A dossier that no rule recalls and
whose window ends within ``notice_days`` after ``on`` gets a notice at that refresh
(``core.recall_notice``: intended recall date = the window's last day, objection deadline
``objection_close_days`` before it, what it owes on ``on``), which its agency finds in a
``CNSS_RECALLNOTICE`` file. An objection the fund accepted (``core.agency_objection``, judged at
ingestion) moves the dossier's last day, once, to its ``extended_to``: the window is then judged as
ending that day (payments count up to it, :attr:`recouvra.owed.DossierTerms.last_day`), the refresh
sends a second notice with the new intended date and no deadline, and the dossier is recalled
``EXPIRED`` (recall_date ``extended_to``) at the first refresh after it. Without an accepted objection
the recall is what it always was (``EXPIRED`` at the first refresh after the window's end, dated its
last day): an agency that ignores notices sees no other change. Only ``EXPIRED`` is announced: the
other reasons are the fund's own facts (paid, merged, proceeding, plan) or the agency's own closure or
retirement, where an objection has nothing to weigh. ``notice_days: 0`` sends no notice.

The refresh first loads the fund's ledger recorded by the end of ``on`` into ``core.ledger_payment``
(:func:`recouvra.ledger.load_ledger`, idempotent) so that it judges on the entries attribution sees.
The recall is written to ``core.dossier_recall`` (recall_date = ``e``: the agency's last day; never
earlier than the refresh for an event-driven recall, so the agency's work up to now still counts;
``recalled_amount`` = what the dossier still owes on ``e``; ``file_name`` NULL until a recall file
tells the agency) and the dossier becomes RECALLED, in one transaction. Idempotent: a recalled
dossier is no longer examined.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from recouvra.ledger import load_ledger
from recouvra.owed import owed_on
from recouvra.selection.common import sql

if TYPE_CHECKING:
    from pathlib import Path

    from recouvra.config import Settings
    from recouvra.warehouse import Warehouse

log = logging.getLogger(__name__)


@dataclass
class LifecycleReport:
    """What a refresh recalled (plain values, fit for XCom and logs)."""

    on: str
    examined: int = 0
    recalled: dict[str, int] = field(default_factory=dict)
    dossiers: dict[str, str] = field(default_factory=dict)  # dossier_id -> reason
    recalled_amount: str = "0.00"
    closures_unconfirmed: int = 0  # PAID_IN_FULL closures of dossiers the ledger says still owe
    disputes_recorded: int = 0
    agency_retired: int = 0  # dossiers recalled FUND_DECISION because their agency is retired
    notices: int = 0  # recall notices decided (first notices and notices of a moved date)
    extended: int = 0  # open dossiers whose last day an accepted objection moved
    kept_after: str | None = None  # a later day was judged since: this day's decisions were kept

    def summary(self) -> str:
        if self.kept_after:
            return (f"dossier refresh {self.on}: kept as judged (a later day, {self.kept_after}, was judged "
                    f"since); nothing examined, nothing recalled")
        return (f"dossier refresh {self.on}: {self.examined} open dossiers examined, "
                f"{sum(self.recalled.values())} recalled {self.recalled} ({self.recalled_amount} MAD open), "
                f"{self.closures_unconfirmed} paid-in-full closures not confirmed by the ledger, "
                f"{self.disputes_recorded} disputes recorded, {self.agency_retired} recalled from retired "
                f"agencies, {self.notices} recall notices, {self.extended} recall dates moved by an "
                "objection")

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class _Closure:
    """An agency's accepted closure of a dossier (``core.agency_closure``) and its dossier's debtor."""

    dossier_id: str
    agency_code: str
    closure_id: str
    closure_date: dt.date
    reason: str
    comment: str | None
    debtor_id: int
    affiliation_no: str


def _lake_events(
    lake: Path, wanted: list[tuple[str, str]], on: dt.date
) -> list[tuple[str, str, dt.date, dt.date | None]]:
    import pyarrow as pa

    from recouvra.lake import open_lake

    if not wanted:
        return []
    table = pa.table({"affiliation_no": pa.array([a for a, _ in wanted], pa.string()),
                      "owner": pa.array([o for _, o in wanted], pa.string())})
    with open_lake(lake, as_of=on, affiliations=[a for a, _ in wanted]) as con:  # the dossiers' rows only
        con.register("wanted", table)
        return [(str(o), str(e), d, u) for o, e, d, u in con.execute(sql("select_lake_events")).fetchall()]


def refresh_dossiers(wh: Warehouse, lake: Path, settings: Settings, on: dt.date) -> LifecycleReport:
    """Recall the dossiers that must leave their agency on ``on`` (see the module docstring).

    Each day judged is recorded (``core.lifecycle_run``); once a later day was judged, a re-run or
    backfill of ``on`` keeps what it decided (``kept_after``) and examines nothing."""
    report = LifecycleReport(on.isoformat())
    latest = wh.query(sql("select_latest_lifecycle_run"))[0][0]
    if latest is not None and latest > on:
        # A past day re-run after a later one: the warehouse has learned since (ledger entries
        # recorded later, later closures); judging again would recall what the first run did not.
        report.kept_after = latest.isoformat()
        log.info(report.summary())
        return report
    rows = wh.query(sql("select_refresh_dossiers"), [on])
    report.examined = len(rows)
    if not rows:
        _record_run(wh, report, on)
        return report
    notices = _notice_state(wh, sorted(str(r[0]) for r in rows))
    # An accepted objection moves the window's last day (once): every rule judges on that day.
    dossiers = {str(r[0]): (int(r[1]), r[2], notices.get(str(r[0]), ({}, None))[1] or r[3], r[4])
                for r in rows}
    agency_of = {str(r[0]): str(r[5]) for r in rows}
    retired_on = {a.code: a.retired_on for a in settings.agencies if a.retired_on is not None}
    retired_from = {str(r[0]): retired_on.get(str(r[5])) for r in rows}
    ids = sorted(dossiers)
    effective = {i: min(on, v[2]) for i, v in dossiers.items()}
    owed = _still_owed(wh, lake, effective, on)
    wanted = _affiliations_held(wh, dossiers, effective)
    events: dict[str, list[tuple[str, dt.date, dt.date | None]]] = {}
    all_pairs = sorted({p for pairs in wanted.values() for p in pairs})
    for owner, event, day, until in _lake_events(lake, all_pairs, on):
        events.setdefault(owner, []).append((event, day, until))
    agency_plans = {str(i): d for i, d in wh.query(sql("select_agency_plan_requests"), [ids])}
    merged = {int(a): int(b) for a, b in wh.query(sql("select_merged_debtors_on"), [on, on])}
    open_debtors = {v[0] for v in dossiers.values()}
    closures: dict[str, list[_Closure]] = {}
    for row in wh.query(sql("select_refresh_closures"), [on, on, ids]):
        closures.setdefault(str(row[0]), []).append(_Closure(*row))

    decided: dict[str, tuple[str, dt.date, Decimal]] = {}
    for i in ids:
        debtor_id, _, end, selected_on = dossiers[i]
        amount = owed[i]  # every dossier examined has begun by on: owed_on states it
        survivor = merged.get(debtor_id)
        duplicate = survivor is not None and survivor in open_debtors and survivor != debtor_id
        closed = {c.reason for c in closures.get(i, [])}
        since = retired_from[i]
        retired = since is not None and since <= effective[i]
        reason = _recall_reason(amount, duplicate, events.get(i, []), selected_on, effective[i], end, on,
                                agency_plans.get(i), closed, retired)
        if reason:
            decided[i] = (reason, effective[i], amount)
            report.agency_retired += int(retired and reason == "FUND_DECISION")
        elif "PAID_IN_FULL" in closed:
            report.closures_unconfirmed += 1
            log.warning("dossier %s: closed PAID_IN_FULL by its agency, the ledger says %s MAD still owed "
                        "on %s: not recalled", i, amount, effective[i])
    disputes = [(c, decided[c.dossier_id]) for i in sorted(decided) for c in closures.get(i, [])
                if c.reason == "DISPUTED"]
    if decided:
        _record_recalls(wh, decided, disputes, on)
    report.disputes_recorded = len(disputes)
    for dossier_id, (reason, _, _) in sorted(decided.items()):
        report.recalled[reason] = report.recalled.get(reason, 0) + 1
        report.dossiers[dossier_id] = reason
    report.recalled_amount = str(sum((v[2] for v in decided.values()), Decimal("0.00")))
    report.extended = sum(1 for i in ids if i not in decided and notices.get(i, ({}, None))[1] is not None)
    new_notices = _due_notices(ids, decided, dossiers, notices, owed, agency_of, settings, on)
    if new_notices:
        _record_notices(wh, new_notices, on)
    report.notices = len(new_notices)
    _record_run(wh, report, on)
    log.info(report.summary())
    return report


def _notice_state(wh: Warehouse, ids: list[str]) -> dict[str, tuple[set[dt.date], dt.date | None]]:
    """Per dossier with a notice: the intended dates already announced and the last day an accepted
    objection set (None without one)."""
    state: dict[str, tuple[set[dt.date], dt.date | None]] = {}
    for dossier_id, intended, extended_to in wh.query(sql("select_recall_notice_state"), [ids]):
        dates, moved = state.get(str(dossier_id), (set(), None))
        dates.add(intended)
        state[str(dossier_id)] = (dates, moved or extended_to)
    return state


@dataclass(frozen=True)
class NoticeRow:
    """A recall notice to record (``core.recall_notice``)."""

    dossier_id: str
    agency_code: str
    intended_recall_date: dt.date
    objection_deadline: dt.date | None
    owed_amount: Decimal


def _due_notices(
    ids: list[str], decided: dict[str, tuple[str, dt.date, Decimal]],
    dossiers: dict[str, tuple[int, dt.date, dt.date, dt.date]],
    notices: dict[str, tuple[set[dt.date], dt.date | None]], owed: dict[str, Decimal],
    agency_of: dict[str, str], settings: Settings, on: dt.date,
) -> list[NoticeRow]:
    """The notices decided on ``on`` (module docstring): a first notice for a window ending within
    ``notice_days``; a notice of the moved date once an objection was accepted (no deadline)."""
    rules = settings.recalls
    out: list[NoticeRow] = []
    for i in ids:
        if i in decided:
            continue
        end = dossiers[i][2]  # the last day, moved by an accepted objection
        announced, moved = notices.get(i, (set(), None))
        if moved is not None:
            if moved not in announced:
                out.append(NoticeRow(i, agency_of[i], moved, None, owed[i]))
        elif not announced and rules.notice_days and on <= end <= on + dt.timedelta(days=rules.notice_days):
            deadline = max(on, end - dt.timedelta(days=rules.objection_close_days))
            out.append(NoticeRow(i, agency_of[i], end, deadline, owed[i]))
    return out


def _record_notices(wh: Warehouse, rows: list[NoticeRow], on: dt.date) -> None:
    """Write the notices decided on ``on`` (``core.recall_notice``, ``file_name`` NULL until published)."""
    import pyarrow as pa

    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    with wh.transaction():
        wh.load_arrow("core.recall_notice", pa.table({
            "dossier_id": pa.array([r.dossier_id for r in rows], pa.string()),
            "agency_code": pa.array([r.agency_code for r in rows], pa.string()),
            "reason": pa.array(["EXPIRED"] * len(rows), pa.string()),
            "intended_recall_date": pa.array([r.intended_recall_date for r in rows], pa.date32()),
            "objection_deadline": pa.array([r.objection_deadline for r in rows], pa.date32()),
            "owed_amount": pa.array([r.owed_amount for r in rows], pa.decimal128(18, 2)),
            "notified_on": pa.array([on] * len(rows), pa.date32()),
            "decided_at": pa.array([now] * len(rows), pa.timestamp("us")),
            "file_name": pa.array([None] * len(rows), pa.string()),
        }))


def _record_run(wh: Warehouse, report: LifecycleReport, on: dt.date) -> None:
    """Record the day judged (``core.lifecycle_run``): a re-run of an earlier day keeps its decisions."""
    with wh.transaction():
        wh.execute(sql("delete_lifecycle_run"), [on])
        wh.execute(sql("insert_lifecycle_run"), [on, report.examined, sum(report.recalled.values()),
                                                 dt.datetime.now(dt.UTC).replace(tzinfo=None)])


def _still_owed(wh: Warehouse, lake: Path, effective: dict[str, dt.date], on: dt.date) -> dict[str, Decimal]:
    """What each dossier still owes on its effective date, after loading the ledger recorded by ``on``."""
    from recouvra.lake import open_lake

    with open_lake(lake, as_of=on) as con:
        load_ledger(wh, con, on)
    return owed_on(wh, effective, on)


def _affiliations_held(
    wh: Warehouse, dossiers: dict[str, tuple[int, dt.date, dt.date, dt.date]], effective: dict[str, dt.date],
) -> dict[dt.date, list[tuple[str, str]]]:
    """The affiliation numbers each dossier's debtor held during its window, by effective date:
    ``{date: [(affiliation_no, dossier_id)]}`` (whose lake events, proceedings and plans, concern it)."""
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


def _recall_reason(
    amount: Decimal, duplicate: bool, events: list[tuple[str, dt.date, dt.date | None]], selected_on: dt.date,
    effective: dt.date, end: dt.date, on: dt.date, agency_plan: dt.date | None, closed: set[str],
    retired: bool = False,
) -> str | None:
    """The first rule that recalls a dossier (module docstring, in order), or None. ``closed``: the
    reasons of the agency's closures of the dossier known on ``on``; ``retired``: its agency is retired
    on the effective date."""
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
    if retired or closed - {"PAID_IN_FULL"}:  # a paid-in-full closure alone is judged by the ledger
        return "FUND_DECISION"
    if end < on:
        return "EXPIRED"
    return None


def _record_recalls(wh: Warehouse, decided: dict[str, tuple[str, dt.date, Decimal]],
                    disputes: list[tuple[_Closure, tuple[str, dt.date, Decimal]]], on: dt.date) -> None:
    """Write the recalls (``core.dossier_recall``) and the disputes of DISPUTED closures
    (``core.agency_dispute``) and mark the dossiers recalled, in one transaction."""
    import pyarrow as pa

    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    keys = sorted(decided)
    with wh.transaction():
        if disputes:
            wh.load_arrow("core.agency_dispute", pa.table({
                "agency_code": pa.array([c.agency_code for c, _ in disputes], pa.string()),
                "closure_id": pa.array([c.closure_id for c, _ in disputes], pa.string()),
                "dossier_id": pa.array([c.dossier_id for c, _ in disputes], pa.string()),
                "debtor_id": pa.array([c.debtor_id for c, _ in disputes], pa.int64()),
                "affiliation_no": pa.array([c.affiliation_no for c, _ in disputes], pa.string()),
                "reported_on": pa.array([c.closure_date for c, _ in disputes], pa.date32()),
                "recorded_on": pa.array([on] * len(disputes), pa.date32()),
                "disputed_amount": pa.array([r[2] for _, r in disputes], pa.decimal128(18, 2)),
                "comment": pa.array([c.comment for c, _ in disputes], pa.string()),
                "decided_at": pa.array([now] * len(disputes), pa.timestamp("us")),
            }))
        wh.load_arrow("core.dossier_recall", pa.table({
            "dossier_id": pa.array(keys, pa.string()),
            "recall_date": pa.array([decided[k][1] for k in keys], pa.date32()),
            "reason": pa.array([decided[k][0] for k in keys], pa.string()),
            "recalled_amount": pa.array([decided[k][2] for k in keys], pa.decimal128(18, 2)),
            "decided_at": pa.array([now] * len(keys), pa.timestamp("us")),
            "file_name": pa.array([None] * len(keys), pa.string()),
            "decided_on": pa.array([on] * len(keys), pa.date32()),  # the day judged: its recall file's
        }))
        by_date: dict[dt.date, list[str]] = {}
        for recalled in keys:
            by_date.setdefault(decided[recalled][1], []).append(recalled)
        for recall_date, group in sorted(by_date.items()):
            wh.execute(sql("mark_dossiers_recalled"), [recall_date, group])


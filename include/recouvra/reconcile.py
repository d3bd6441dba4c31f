"""Reconciliation (agency-exchange v1, "Attribution and commission"): matching of agency-reported
payments to the fund's ledger, attribution of ledger payments to dossiers.

The ledger itself (its rules, its load from the lake into ``core.ledger_payment``, its reads) is
:mod:`recouvra.ledger`; this module reads it from the warehouse only. :func:`reconcile` is a function
over the warehouse (the single writer), idempotent per run date: it re-evaluates every agency-reported
payment against the ledger (``core.payment_match``; an agency payment with no match is *unconfirmed*
and earns nothing) and recomputes the attribution of ledger entries dated up to ``on``
(``core.attribution``). Commission depends on attribution only, never on what agencies report.
The money-integrity audit that recomputes each dossier's position from the ledger lives above both this
module and commission, in :mod:`recouvra.integrity`.

Rules (the contract's, and where it is silent, ours; ``docs/reconciliation.md`` explains them):

* **Debtor's affiliation numbers** of a dossier: its own ``affiliation_no`` and every number bridged to
  its debtor (``core.bridge_affiliation_debtor``) at some time during the assignment window.
* **Matching** (pure: :func:`match_payments`). Pass 1, ``RECEIPT_REF``: the agency's ``receipt_ref``
  equals a ledger PAYMENT's ``receipt_no`` (exact after trimming; any date gap). Agency payments are
  taken by (payment_date, agency_code, payment_id). Pass 2, ``DEBTOR_AMOUNT_DATE``, for those still
  unmatched (no receipt_ref, or one that finds no free entry): a ledger PAYMENT of one of the dossier's
  debtor's affiliation numbers, with the same amount and at most 5 days apart. All candidate pairs are
  taken greedily in order (day gap, agency payment_date, agency_code, payment_id, ledger_payment_id):
  the closest dates first, ties broken by ids. One-to-one: a ledger entry confirms at most one agency
  payment, across agencies.
* **Attribution** (pure: :func:`attribute`). A ledger PAYMENT counts for a dossier when its
  affiliation number is the dossier's debtor's, its date lies in ``[assignment_start, last day]``
  (last day = ``assignment_end``, or ``recall_date`` when earlier: the recall date is the agency's last
  working day, so it is included) and it settles one of the dossier's assigned months, whether or not
  the agency reported it. When two dossiers qualify, the one with the earliest ``assignment_start``
  (then the smaller dossier_id) takes it, whole: a payment is never attributed to two dossiers.
* **Never above what is owed**, per assigned month (all kinds together). For each dossier and month,
  events are replayed by (payment_date, ledger_payment_id): entries dated after the selection's
  portfolio date and before the window (and their reversals) *settle otherwise*; in-window payments and
  their reversals (whatever the reversal's date) form the agency's net collections ``W``. At every
  event, ``settled_other = min(owed, max(0, pre-window net))`` and ``attributed = min(owed -
  settled_other, max(0, W))``; an event's attribution row is the change it causes. So a partial
  payment is attributed whole, an over-payment only up to what the month still owes (the excess is
  not attributed, to this or any dossier), and a reversal is attributed negatively to the same dossier
  by what it really takes back: all of the reversed payment's attribution unless later in-window
  payments still cover the month. A reversal of a pre-window payment that frees room for in-window
  collections already received is attributed positively (the agency's payment now settles the month).
* **attribution_month**: the month of the payment date, or, when the agency already received a
  statement for that month or later, the month after its latest published statement; kept once set,
  so a statement already sent never changes.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

# The fund's month arithmetic, re-exported for the stages that read it from here.
from recouvra.calendar import add_months
from recouvra.calendar import month_end as month_end
from recouvra.calendar import month_of as month_of
from recouvra.ledger import PAYMENT, REVERSAL, ZERO, LedgerEntry, as_date, bridge_history, money, read_ledger
from recouvra.sqlfiles import query

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence

    from recouvra.warehouse import Warehouse

log = logging.getLogger(__name__)

MATCH_WINDOW_DAYS = 5
RECEIPT_REF = "RECEIPT_REF"
DEBTOR_AMOUNT_DATE = "DEBTOR_AMOUNT_DATE"


# ------------------------------------------------------------------------------------ small helpers
def months_from(first: dt.date, last: dt.date) -> list[dt.date]:
    """First days of every month from ``first``'s to ``last``'s, inclusive."""
    out, m = [], month_of(first)
    while m <= month_of(last):
        out.append(m)
        m = add_months(m, 1)
    return out


# ------------------------------------------------------------------------------------ the records
@dataclass(frozen=True)
class DossierTerms:
    """A dossier as attribution sees it: debtor's numbers, window, recall, what each month owes."""

    dossier_id: str
    agency_code: str
    affiliation_nos: frozenset[str]
    assignment_start: dt.date
    assignment_end: dt.date
    owed: Mapping[dt.date, Decimal]
    recall_date: dt.date | None = None
    portfolio_date: dt.date | None = None
    debtor_id: int | None = None
    assignment_month: dt.date | None = None
    commission_rate: Decimal = Decimal("0.03")
    commission_cap: Decimal = Decimal("30000.00")
    total_due: Decimal | None = None
    status: str = "PUBLISHED"
    status_date: dt.date | None = None
    recalled_amount: Decimal | None = None

    @property
    def last_day(self) -> dt.date:
        """Last day a payment counts: the window's end, or the recall date when earlier."""
        if self.recall_date is not None and self.recall_date < self.assignment_end:
            return self.recall_date
        return self.assignment_end

    @property
    def settles_from(self) -> dt.date:
        """First day a ledger entry reduces what the dossier assigns: after the portfolio date of the
        selection (earlier payments are already out of ``total_due``)."""
        if self.portfolio_date is None or self.portfolio_date >= self.assignment_start:
            return self.assignment_start
        return self.portfolio_date + dt.timedelta(days=1)

    @property
    def assigned(self) -> Decimal:
        """Sum of what the assigned months owe."""
        return sum(self.owed.values(), ZERO)


@dataclass(frozen=True)
class AgencyPayment:
    """A payment an agency reported (core.agency_payment)."""

    agency_code: str
    payment_id: str
    dossier_id: str
    payment_date: dt.date
    amount: Decimal
    receipt_ref: str | None = None


@dataclass(frozen=True)
class PaymentMatch:
    """An agency payment confirmed by a ledger entry (core.payment_match)."""

    agency_code: str
    payment_id: str
    ledger_payment_id: int
    match_rule: str
    day_gap: int


@dataclass(frozen=True)
class Attribution:
    """The change one ledger entry makes to what a dossier has attributed (core.attribution)."""

    ledger_payment_id: int
    dossier_id: str
    agency_code: str
    amount: Decimal
    payment_date: dt.date
    settles_period: dt.date


@dataclass(frozen=True)
class Position:
    """A dossier's money at the end of a day, per the ledger: assigned = attributed + settled_other +
    remaining (remaining is open while with the agency, recalled or closed afterwards)."""

    assigned: Decimal
    settled_other: Decimal
    attributed: Decimal

    @property
    def remaining(self) -> Decimal:
        return self.assigned - self.settled_other - self.attributed


@dataclass
class ReconcileReport:
    """What :func:`reconcile` found on a run date (small, for XCom and logs)."""

    on: str
    ledger_entries: int = 0
    agency_payments: int = 0
    matched_by_receipt: int = 0
    matched_by_debtor: int = 0
    unconfirmed: int = 0
    unconfirmed_amount: str = "0.00"
    unconfirmed_ids: list[tuple[str, str]] = field(default_factory=list)
    attributions: int = 0
    attributed_amount: str = "0.00"
    reversal_attributions: int = 0
    unlinked_reversals: list[int] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly form."""
        d = dict(vars(self))
        d["unconfirmed_ids"] = [list(p) for p in self.unconfirmed_ids]
        return d

    def summary(self) -> str:
        return (f"reconcile {self.on}: {self.agency_payments} agency payments, {self.matched_by_receipt} "
                f"matched by receipt, {self.matched_by_debtor} by debtor/amount/date, {self.unconfirmed} "
                f"unconfirmed ({self.unconfirmed_amount} MAD); {self.attributions} attributions, net "
                f"{self.attributed_amount} MAD")


# ------------------------------------------------------------------------------------ pure: matching
def match_payments(
    reported: Iterable[AgencyPayment], ledger: Iterable[LedgerEntry],
    affiliations: Mapping[str, frozenset[str]], *, window_days: int = MATCH_WINDOW_DAYS,
) -> list[PaymentMatch]:
    """One-to-one matches of agency payments to ledger PAYMENTs (module docstring: the two passes and
    their tie-breaking). ``affiliations`` gives each dossier's debtor's affiliation numbers."""
    payments = [e for e in ledger if e.kind == PAYMENT]
    taken: set[int] = set()
    matches: dict[tuple[str, str], PaymentMatch] = {}
    order = sorted(reported, key=lambda p: (p.payment_date, p.agency_code, p.payment_id))

    by_receipt: dict[str, list[LedgerEntry]] = defaultdict(list)
    for e in payments:
        by_receipt[e.receipt_no.strip()].append(e)
    for p in order:
        ref = (p.receipt_ref or "").strip()
        if not ref:
            continue
        free = [e for e in by_receipt.get(ref, []) if e.ledger_payment_id not in taken]
        if not free:
            continue
        e = min(free, key=lambda x: (abs((x.payment_date - p.payment_date).days), x.ledger_payment_id))
        taken.add(e.ledger_payment_id)
        matches[(p.agency_code, p.payment_id)] = PaymentMatch(
            p.agency_code, p.payment_id, e.ledger_payment_id, RECEIPT_REF,
            abs((e.payment_date - p.payment_date).days))

    by_aff_amount: dict[tuple[str, Decimal], list[LedgerEntry]] = defaultdict(list)
    for e in payments:
        if e.ledger_payment_id not in taken:
            by_aff_amount[(e.affiliation_no, money(e.amount))].append(e)
    candidates: list[tuple[int, dt.date, str, str, int]] = []
    for p in order:
        if (p.agency_code, p.payment_id) in matches:
            continue
        for aff in sorted(affiliations.get(p.dossier_id, frozenset())):
            for e in by_aff_amount.get((aff, money(p.amount)), []):
                gap = abs((e.payment_date - p.payment_date).days)
                if gap <= window_days:
                    candidates.append((gap, p.payment_date, p.agency_code, p.payment_id, e.ledger_payment_id))
    for gap, _, agency, payment_id, ledger_id in sorted(candidates):
        if (agency, payment_id) in matches or ledger_id in taken:
            continue
        taken.add(ledger_id)
        matches[(agency, payment_id)] = PaymentMatch(agency, payment_id, ledger_id, DEBTOR_AMOUNT_DATE, gap)
    return [matches[k] for k in sorted(matches)]


# ------------------------------------------------------------------------------ pure: attribution
@dataclass(frozen=True)
class _Event:
    entry: LedgerEntry
    in_window: bool


@dataclass
class Streams:
    """Per (dossier, assigned month): the ledger events that settle it, in (date, id) order."""

    dossiers: dict[str, DossierTerms]
    events: dict[tuple[str, dt.date], list[_Event]]
    owner: dict[int, str]
    unlinked_reversals: list[int]


def _dossiers_by_affiliation(dossiers: Iterable[DossierTerms], on: dt.date) -> dict[str, list[DossierTerms]]:
    """The dossiers started by ``on`` under each of their debtor's affiliation numbers, earliest
    assignment first (the order in which a payment is offered to them)."""
    by_aff: dict[str, list[DossierTerms]] = defaultdict(list)
    for d in sorted(dossiers, key=lambda d: (d.assignment_start, d.dossier_id)):
        if d.assignment_start <= on:
            for aff in d.affiliation_nos:
                by_aff[aff].append(d)
    return by_aff


def build_streams(dossiers: Iterable[DossierTerms], ledger: Iterable[LedgerEntry], on: dt.date) -> Streams:
    """Sort the ledger entries dated up to ``on`` into each dossier's per-month event streams."""
    terms = {d.dossier_id: d for d in dossiers}
    entries = sorted((e for e in ledger if e.payment_date <= on),
                     key=lambda e: (e.payment_date, e.ledger_payment_id))
    by_id = {e.ledger_payment_id: e for e in entries}
    by_aff = _dossiers_by_affiliation(terms.values(), on)
    owner: dict[int, str] = {}  # in-window PAYMENT -> the one dossier it counts for
    pre: dict[int, list[str]] = defaultdict(list)  # PAYMENT settling otherwise -> dossiers concerned
    events: dict[tuple[str, dt.date], list[_Event]] = defaultdict(list)
    unlinked: list[int] = []
    for e in entries:
        if e.kind != PAYMENT:
            continue
        for d in by_aff.get(e.affiliation_no, []):
            if e.settles_period not in d.owed:
                continue
            if d.assignment_start <= e.payment_date <= d.last_day and e.ledger_payment_id not in owner:
                owner[e.ledger_payment_id] = d.dossier_id
                events[(d.dossier_id, e.settles_period)].append(_Event(e, True))
            elif d.settles_from <= e.payment_date < d.assignment_start:
                pre[e.ledger_payment_id].append(d.dossier_id)
                events[(d.dossier_id, e.settles_period)].append(_Event(e, False))
    for e in entries:
        if e.kind != REVERSAL:
            continue
        target = by_id.get(e.reverses_payment_id) if e.reverses_payment_id is not None else None
        if target is None or target.kind != PAYMENT:
            unlinked.append(e.ledger_payment_id)
            continue
        if target.ledger_payment_id in owner:
            events[(owner[target.ledger_payment_id], target.settles_period)].append(_Event(e, True))
        for dossier_id in pre.get(target.ledger_payment_id, []):
            events[(dossier_id, target.settles_period)].append(_Event(e, False))
    for stream in events.values():
        stream.sort(key=lambda ev: (ev.entry.payment_date, ev.entry.ledger_payment_id))
    return Streams(terms, dict(events), owner, unlinked)


def _replay(owed: Decimal, stream: Sequence[_Event], until: dt.date | None = None
            ) -> Iterable[tuple[_Event, Decimal, Decimal]]:
    """(event, settled_other, attributed) after each event dated up to ``until``."""
    pre_net = ZERO
    window_net = ZERO
    for ev in stream:
        if until is not None and ev.entry.payment_date > until:
            break
        if ev.in_window:
            window_net += ev.entry.amount
        else:
            pre_net += ev.entry.amount
        settled = min(owed, max(ZERO, pre_net))
        yield ev, settled, min(owed - settled, max(ZERO, window_net))


def attribute(
    dossiers: Iterable[DossierTerms], ledger: Iterable[LedgerEntry], on: dt.date
) -> list[Attribution]:
    """The attribution rows of the ledger entries dated up to ``on`` (module docstring: the rule)."""
    streams = build_streams(dossiers, ledger, on)
    out: list[Attribution] = []
    for (dossier_id, period), stream in sorted(streams.events.items()):
        d = streams.dossiers[dossier_id]
        before = ZERO
        for ev, _, attributed in _replay(d.owed[period], stream):
            delta = attributed - before
            before = attributed
            if delta != 0:
                out.append(Attribution(ev.entry.ledger_payment_id, dossier_id, d.agency_code, delta,
                                       ev.entry.payment_date, period))
    return out


def position(streams: Streams, dossier_id: str, day: dt.date) -> Position:
    """A dossier's position at the end of ``day`` per the ledger (see :class:`Position`)."""
    d = streams.dossiers[dossier_id]
    settled = attributed = ZERO
    for period, owed in d.owed.items():
        s = a = ZERO
        for _, s_after, a_after in _replay(owed, streams.events.get((dossier_id, period), []), day):
            s, a = s_after, a_after
        settled += s
        attributed += a
    return Position(d.assigned, settled, attributed)


# ------------------------------------------------------------------------------ warehouse reads
def _bridge(wh: Warehouse) -> dict[int, list[tuple[str, dt.date, dt.date | None]]]:
    held: dict[int, list[tuple[str, dt.date, dt.date | None]]] = defaultdict(list)
    for aff, debtor, valid_from, valid_to in bridge_history(wh):
        held[debtor].append((aff, valid_from, valid_to))
    return held


def read_dossiers(wh: Warehouse, on: dt.date) -> list[DossierTerms]:
    """Every dossier whose window has begun by ``on``, with its debtor's affiliation numbers."""
    owed: dict[str, dict[dt.date, Decimal]] = defaultdict(dict)
    for dossier_id, period, amount in wh.query(query("reconcile/select_dossier_owed")):
        owed[str(dossier_id)][as_date(period)] = money(amount)
    held = _bridge(wh)
    out = []
    for (dossier_id, agency, debtor, aff, month, start, end, rate, cap, total, status, status_date,
         recall_date, recalled_amount, as_of) in wh.query(query("reconcile/select_dossier_terms"), [on]):
        start_d, end_d = as_date(start), as_date(end)
        affs = {str(aff)} | {a for a, vf, vt in held.get(int(debtor), [])
                            if vf <= end_d and (vt is None or vt > start_d)}
        out.append(DossierTerms(
            str(dossier_id), str(agency), frozenset(affs), start_d, end_d, owed.get(str(dossier_id), {}),
            None if recall_date is None else as_date(recall_date), None if as_of is None else as_date(as_of),
            int(debtor), as_date(month), Decimal(rate), money(cap), money(total), str(status),
            as_date(status_date), None if recalled_amount is None else money(recalled_amount),
        ))
    return out


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


# -------------------------------------------------------------------------------------- reconcile
def _published_months(wh: Warehouse) -> dict[str, dt.date]:
    return {str(a): as_date(m) for a, m in wh.query(query("reconcile/select_published_statement_months"))}


def reconcile(wh: Warehouse, on: dt.date) -> ReconcileReport:
    """Match agency payments to the ledger and attribute ledger entries dated up to ``on`` to dossiers;
    replace ``core.payment_match`` and those ``core.attribution`` rows in one transaction (unchanged
    rows keep their timestamps and attribution month: a re-run changes nothing)."""
    import pyarrow as pa

    report = ReconcileReport(on.isoformat())
    dossiers = read_dossiers(wh, on)
    ledger = read_ledger(wh, on)
    report.ledger_entries = len(ledger)
    reported = [AgencyPayment(str(a), str(p), str(d), as_date(day), money(amt), None if r is None else str(r))
                for a, p, d, day, amt, r in wh.query(query("reconcile/select_agency_payments"))]
    report.agency_payments = len(reported)
    affs = {d.dossier_id: d.affiliation_nos for d in dossiers}
    matches = match_payments(reported, ledger, affs)
    matched = {(m.agency_code, m.payment_id) for m in matches}
    report.matched_by_receipt = sum(m.match_rule == RECEIPT_REF for m in matches)
    report.matched_by_debtor = sum(m.match_rule == DEBTOR_AMOUNT_DATE for m in matches)
    unconfirmed = [p for p in reported if (p.agency_code, p.payment_id) not in matched]
    report.unconfirmed = len(unconfirmed)
    report.unconfirmed_amount = f"{sum((p.amount for p in unconfirmed), ZERO):.2f}"
    report.unconfirmed_ids = [(p.agency_code, p.payment_id) for p in unconfirmed]

    streams = build_streams(dossiers, ledger, on)
    report.unlinked_reversals = streams.unlinked_reversals
    attributions = attribute(dossiers, ledger, on)
    kinds = {e.ledger_payment_id: e.kind for e in ledger}
    report.attributions = len(attributions)
    report.attributed_amount = f"{sum((a.amount for a in attributions), ZERO):.2f}"
    report.reversal_attributions = sum(kinds.get(a.ledger_payment_id) == REVERSAL for a in attributions)

    now = _now()
    old_matches = {(str(a), str(p)): (int(lid), str(rule), int(gap), m)
                   for a, p, lid, rule, gap, m in wh.query(query("reconcile/select_payment_matches"))}
    old_attr = {(int(r[0]), str(r[1])): r for r in wh.query(query("reconcile/select_attributions"))}
    published = _published_months(wh)

    def matched_at(m: PaymentMatch) -> dt.datetime:
        old = old_matches.get((m.agency_code, m.payment_id))
        return old[3] if old and old[:3] == (m.ledger_payment_id, m.match_rule, m.day_gap) else now

    def attr_month(a: Attribution) -> tuple[dt.date, dt.datetime]:
        old = old_attr.get((a.ledger_payment_id, a.dossier_id))
        if old is not None:
            same = money(old[3]) == a.amount and as_date(old[4]) == a.payment_date
            return as_date(old[6]), (old[7] if same else now)
        month = month_of(a.payment_date)
        closed = published.get(a.agency_code)
        if closed is not None and month <= closed:
            month = add_months(closed, 1)
        return month, now

    placed = [attr_month(a) for a in attributions]
    with wh.transaction():
        wh.execute(query("reconcile/delete_payment_matches"))
        if matches:
            wh.load_arrow("core.payment_match", pa.table({
                "agency_code": pa.array([m.agency_code for m in matches], pa.string()),
                "payment_id": pa.array([m.payment_id for m in matches], pa.string()),
                "ledger_payment_id": pa.array([m.ledger_payment_id for m in matches], pa.int64()),
                "match_rule": pa.array([m.match_rule for m in matches], pa.string()),
                "day_gap": pa.array([m.day_gap for m in matches], pa.int32()),
                "matched_at": pa.array([matched_at(m) for m in matches], pa.timestamp("us")),
            }))
        wh.execute(query("reconcile/delete_attributions"), [on])
        if attributions:
            wh.load_arrow("core.attribution", pa.table({
                "ledger_payment_id": pa.array([a.ledger_payment_id for a in attributions], pa.int64()),
                "dossier_id": pa.array([a.dossier_id for a in attributions], pa.string()),
                "agency_code": pa.array([a.agency_code for a in attributions], pa.string()),
                "amount": pa.array([a.amount for a in attributions], pa.decimal128(18, 2)),
                "payment_date": pa.array([a.payment_date for a in attributions], pa.date32()),
                "settles_period": pa.array([a.settles_period for a in attributions], pa.date32()),
                "attribution_month": pa.array([p[0] for p in placed], pa.date32()),
                "attributed_at": pa.array([p[1] for p in placed], pa.timestamp("us")),
            }))
    log.info(report.summary())
    return report

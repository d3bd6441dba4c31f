"""What a dossier still owes, the one definition (agency-exchange v1, "Attribution and commission"):
the attribution of the fund's ledger to dossiers and the position it leaves, used by reconciliation
(:mod:`recouvra.reconcile`, which writes ``core.attribution``), by the lifecycle (a dossier is recalled
``PAID_IN_FULL`` when it owes nothing more, and ``recalled_amount`` is what it still owes) and agreed
with by the KPIs (``marts.fact_dossier_month.open_amount``). It sits in the kernel, just above
:mod:`recouvra.ledger`, so that selection (the lifecycle) and reconciliation can both import it.

* **The dossier's affiliation numbers** (:func:`read_dossiers`): its own ``affiliation_no`` and every
  number bridged to its debtor (``core.bridge_affiliation_debtor``) at some time during the assignment
  window. A debtor's payment under any of them settles the dossier's months: several affiliation
  numbers are netted together, month by month (all kinds together: a ledger payment settles a month,
  not a kind).
* **Attribution** (:func:`build_streams`, :func:`attribute`): the rules are written in
  :mod:`recouvra.reconcile`'s docstring and ``docs/reconciliation.md``.
* **Still owed** (:func:`position`, :func:`still_owed`, :func:`owed_on`): on a day, ``assigned -
  settled_other - attributed``, each month capped at what it assigns (:class:`Position`). A dossier
  fully attributed owes 0.
* **Recovered by kind** (:func:`impute`, :func:`split_by_kind`): what the agency has net collected on a
  month is spread over the kinds the month owes (principal, surcharges, penalties) in the configured
  imputation order (``programme.imputation_order``, an assumption), each kind never above what it owes;
  an attribution row's split is the change it makes to that spread, so its kinds add up to its amount,
  a reversal of the month's latest payment takes back exactly that payment's kinds, and one of an
  earlier payment leaves what remains imputed in order, as if the reversed payment had never been.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING

from recouvra.config import DEFAULT_IMPUTATION_ORDER, IMPUTATION_KINDS
from recouvra.ledger import (
    PAYMENT,
    REVERSAL,
    ZERO,
    LedgerEntry,
    as_date,
    money,
    read_ledger_concerning,
)
from recouvra.sqlfiles import query

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence

    from recouvra.warehouse import Warehouse

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
    #: Months added later (core.dossier_addition, in ``owed`` too): month -> the day it counts from.
    added_from: Mapping[dt.date, dt.date] = field(default_factory=dict)
    extended_to: dt.date | None = None

    @property
    def window_end(self) -> dt.date:
        """The window's last day: ``assignment_end``, or the later day an accepted objection to the
        dossier's recall notice set (``core.agency_objection.extended_to``). The objection is received
        by the notice's deadline, on or before ``assignment_end``: any day a payment after
        ``assignment_end`` is attributed, the extension is already known (time-correct)."""
        if self.extended_to is not None and self.extended_to > self.assignment_end:
            return self.extended_to
        return self.assignment_end

    @property
    def last_day(self) -> dt.date:
        """Last day a payment counts: the window's end (moved by an accepted objection), or the recall
        date when earlier."""
        end = self.window_end
        if self.recall_date is not None and self.recall_date < end:
            return self.recall_date
        return end

    @property
    def settles_from(self) -> dt.date:
        """First day a ledger entry reduces what the dossier assigns: after the portfolio date of the
        selection (earlier payments are already out of ``total_due``)."""
        if self.portfolio_date is None or self.portfolio_date >= self.assignment_start:
            return self.assignment_start
        return self.portfolio_date + dt.timedelta(days=1)

    @property
    def assigned(self) -> Decimal:
        """Sum of what the months of the package owe (``total_due``; added months aside)."""
        return sum((v for k, v in self.owed.items() if k not in self.added_from), ZERO)

    def counts_from(self, period: dt.date) -> dt.date:
        """First day a payment settling ``period`` counts for the agency: the window's start, or for a
        month added later the day its supplementary file was sent."""
        added = self.added_from.get(period)
        return self.assignment_start if added is None or added < self.assignment_start else added

    def assigned_on(self, day: dt.date) -> Decimal:
        """What the dossier assigns at the end of ``day``: the package's months and those added by then."""
        return sum((v for k, v in self.owed.items() if self.added_from.get(k, day) <= day), ZERO)


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
    assignment first (the order in which a payment is offered to them, after the dossier its valid
    payment reference names)."""
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
        offered = by_aff.get(e.affiliation_no, [])
        named = e.named_dossier
        if named is not None:  # the dossier the payer's valid reference names is offered it first
            offered = sorted(offered, key=lambda d: d.dossier_id != named)
        for d in offered:
            if e.settles_period not in d.owed:
                continue
            if d.counts_from(e.settles_period) <= e.payment_date <= d.last_day \
                    and e.ledger_payment_id not in owner:
                owner[e.ledger_payment_id] = d.dossier_id
                events[(d.dossier_id, e.settles_period)].append(_Event(e, True))
            elif e.settles_period not in d.added_from and \
                    d.settles_from <= e.payment_date < d.assignment_start:
                # (an added month's amount was read on its day: earlier payments are already out of it)
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
        if d.added_from.get(period, day) > day:
            continue  # added after the day: not yet the agency's
        s = a = ZERO
        for _, s_after, a_after in _replay(owed, streams.events.get((dossier_id, period), []), day):
            s, a = s_after, a_after
        settled += s
        attributed += a
    return Position(d.assigned_on(day), settled, attributed)


# --------------------------------------------------------------------------- pure: recovered by kind
@dataclass(frozen=True)
class KindShare:
    """The part of one attribution row that settles one kind of its month (core.attribution_kind)."""

    ledger_payment_id: int
    dossier_id: str
    kind: str  # PRINCIPAL, SURCHARGE or PENALTY (core.dossier_period.kind)
    amount: Decimal
    payment_date: dt.date


def warehouse_kinds(order: Sequence[str] = DEFAULT_IMPUTATION_ORDER) -> tuple[str, ...]:
    """The configured imputation order (``principal``, ...) as warehouse kinds (``PRINCIPAL``, ...)."""
    return tuple(IMPUTATION_KINDS[k] for k in order)


def impute(collected: Decimal, owed: Mapping[str, Decimal],
           order: Sequence[str] = DEFAULT_IMPUTATION_ORDER) -> dict[str, Decimal]:
    """``collected`` (what the agency net collected on one month) spread over the kinds ``owed``
    (warehouse kinds -> amount) in the imputation ``order``: each kind takes what it owes before the
    next takes anything. Raises ``ValueError`` when ``collected`` exceeds what the month owes (attribution
    never attributes more, so the month's kinds and its total disagree)."""
    left = max(ZERO, collected)
    out: dict[str, Decimal] = {}
    for kind in warehouse_kinds(order):
        take = min(left, owed.get(kind, ZERO))
        out[kind] = take
        left -= take
    if left > 0:
        raise ValueError(f"{collected} collected on a month whose kinds owe only {sum(owed.values(), ZERO)}")
    return out


def split_by_kind(
    attributions: Iterable[Attribution], owed: Mapping[str, Mapping[dt.date, Mapping[str, Decimal]]],
    order: Sequence[str] = DEFAULT_IMPUTATION_ORDER,
) -> list[KindShare]:
    """Each attribution row's kinds (``owed``: dossier -> month -> kind -> amount). Rows of a dossier and
    month are taken in the order :func:`attribute` gives them (its events' order); after each, the
    month's net attributed is imputed (:func:`impute`) and the row's shares are the change, zero shares
    left out. So a row's shares add up to its amount, and a month's shares to what the order gives."""
    rows: dict[tuple[str, dt.date], list[Attribution]] = defaultdict(list)
    for a in attributions:
        rows[(a.dossier_id, a.settles_period)].append(a)
    out: list[KindShare] = []
    for (dossier_id, period), month_rows in rows.items():
        kinds = owed.get(dossier_id, {}).get(period, {})
        collected = ZERO
        before = impute(collected, kinds, order)
        for a in month_rows:
            collected += a.amount
            after = impute(collected, kinds, order)
            for kind, amount in after.items():
                if amount != before[kind]:
                    out.append(KindShare(a.ledger_payment_id, dossier_id, kind, amount - before[kind],
                                         a.payment_date))
            before = after
    return out


# ------------------------------------------------------------------------------ warehouse reads
def _bridge(wh: Warehouse) -> dict[int, list[tuple[str, dt.date, dt.date | None]]]:
    """The affiliation numbers each debtor some dossier names has held, with when (the rest of the
    bridge, the whole portfolio's, is never needed here)."""
    held: dict[int, list[tuple[str, dt.date, dt.date | None]]] = defaultdict(list)
    for aff, debtor, valid_from, valid_to in wh.query(query("owed/select_dossier_debtors_bridge")):
        held[int(debtor)].append((str(aff), as_date(valid_from),
                                  None if valid_to is None else as_date(valid_to)))
    return held


def read_dossiers(wh: Warehouse, on: dt.date) -> list[DossierTerms]:
    """Every dossier whose window has begun by ``on``, with its debtor's affiliation numbers."""
    owed: dict[str, dict[dt.date, Decimal]] = defaultdict(dict)
    for dossier_id, period, amount in wh.query(query("owed/select_dossier_owed")):
        owed[str(dossier_id)][as_date(period)] = money(amount)
    added: dict[str, dict[dt.date, dt.date]] = defaultdict(dict)
    for dossier_id, period, amount, added_on in wh.query(query("owed/select_dossier_additions")):
        if as_date(period) not in owed[str(dossier_id)]:  # a month of the package is never added
            owed[str(dossier_id)][as_date(period)] = money(amount)
            added[str(dossier_id)][as_date(period)] = as_date(added_on)
    held = _bridge(wh)
    out = []
    for (dossier_id, agency, debtor, aff, month, start, end, rate, cap, total, status, status_date,
         recall_date, recalled_amount, as_of, extended_to) in wh.query(query("owed/select_dossier_terms"),
                                                                       [on]):
        start_d, end_d = as_date(start), as_date(end)
        affs = {str(aff)} | {a for a, vf, vt in held.get(int(debtor), [])
                            if vf <= end_d and (vt is None or vt > start_d)}
        out.append(DossierTerms(
            str(dossier_id), str(agency), frozenset(affs), start_d, end_d, owed.get(str(dossier_id), {}),
            None if recall_date is None else as_date(recall_date), None if as_of is None else as_date(as_of),
            int(debtor), as_date(month), Decimal(rate), money(cap), money(total), str(status),
            as_date(status_date), None if recalled_amount is None else money(recalled_amount),
            added.get(str(dossier_id), {}),
            None if extended_to is None else as_date(extended_to),
        ))
    return out


def read_owed_by_kind(wh: Warehouse, dossiers: Iterable[str] | None = None
                      ) -> dict[str, dict[dt.date, dict[str, Decimal]]]:
    """What each dossier's months owe per kind: dossier -> month -> kind -> amount (the package's months
    and those added by a published supplementary file, as :func:`read_dossiers` counts them); of
    ``dossiers`` only when given."""
    out: dict[str, dict[dt.date, dict[str, Decimal]]] = defaultdict(lambda: defaultdict(dict))
    if dossiers is None:
        rows = wh.query(query("owed/select_dossier_owed_by_kind"))
    else:
        wanted = sorted(set(dossiers))
        rows = wh.query(query("owed/select_dossier_owed_by_kind_of"), [wanted, wanted]) if wanted else []
    for dossier_id, period, kind, amount in rows:
        out[str(dossier_id)][as_date(period)][str(kind)] = money(amount)
    return {d: dict(months) for d, months in out.items()}


# ------------------------------------------------------------------------------------ still owed
def still_owed(streams: Streams, dossier_id: str, day: dt.date) -> Decimal:
    """What a dossier still owes at the end of ``day``: :attr:`Position.remaining` (never negative)."""
    return position(streams, dossier_id, day).remaining


def owed_on(wh: Warehouse, days: Mapping[str, dt.date], on: dt.date) -> dict[str, Decimal]:
    """What each dossier of ``days`` still owes at the end of its day (``{dossier_id: day}``, days up
    to ``on``), from ``core.ledger_payment`` entries dated up to ``on`` and first seen by ``on`` (the
    ledger as the run of ``on`` knew it: a re-run after later loads judges as the first run did),
    exactly as :func:`attribute` counts them on ``on`` (the same dossiers compete for a payment, the
    same affiliation numbers)."""
    if not days:
        return {}
    dossiers = read_dossiers(wh, on)
    ledger = read_ledger_concerning(wh, {a for d in dossiers for a in d.affiliation_nos}, on, known_by=on)
    streams = build_streams(dossiers, ledger, on)
    return {i: still_owed(streams, i, day) for i, day in days.items() if i in streams.dossiers}

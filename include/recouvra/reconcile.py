"""Reconciliation (agency-exchange v1, "Attribution and commission"): matching of agency-reported
payments to the fund's ledger, attribution of ledger payments to dossiers.

The ledger itself (its rules, its load from the lake into ``core.ledger_payment``, its reads) is
:mod:`recouvra.ledger`; this module reads it from the warehouse only. The attribution and the position
it leaves (what a dossier still owes, the one definition the lifecycle and the KPIs share) are
:mod:`recouvra.owed`, re-exported here; this module writes them. :func:`reconcile` is a function
over the warehouse (the single writer), idempotent per run date: it re-evaluates every agency-reported
payment against the ledger (``core.payment_match``; an agency payment with no match is *unconfirmed*
and earns nothing) and recomputes the attribution of ledger entries dated up to ``on``
(``core.attribution``). Commission depends on attribution only, never on what agencies report.
The money-integrity audit that recomputes each dossier's position from the ledger lives above both this
module and commission, in :mod:`recouvra.integrity`.

Rules (the contract's, and where it is silent, ours; ``docs/reconciliation.md`` explains them):

* **Debtor's affiliation numbers** of a dossier: its own ``affiliation_no`` and every number bridged to
  its debtor (``core.bridge_affiliation_debtor``) at some time during the assignment window.
* **Matching** (pure: :func:`match_payments`). Pass 0, ``PAYMENT_REF``: a ledger PAYMENT whose quoted
  ``payment_ref`` is valid (:mod:`recouvra.exchange.payment_ref`: its check digits hold) and names the
  agency payment's dossier, dates at most ``PAYMENT_REF_WINDOW_DAYS`` (31) apart, whatever the amounts;
  all candidate pairs taken in order (day gap, amount gap, agency payment_date, agency_code, payment_id,
  ledger_payment_id). A reference whose check digits fail is ignored (never guessed) and reported
  (:func:`check_payment_refs`). Pass 1, ``RECEIPT_REF``, for the others: the agency's ``receipt_ref``
  equals a free ledger PAYMENT's ``receipt_no`` (exact after trimming; any date gap). Agency payments are
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
  the agency reported it. When two dossiers qualify, the one the payment's valid ``payment_ref`` names
  takes it; otherwise the one with the earliest ``assignment_start`` (then the smaller dossier_id); whole
  either way: a payment is never attributed to two dossiers. A reference naming a dossier the payment
  does not qualify for changes nothing.
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
* **Recovered by kind** (pure: :func:`split_by_kind`, written to ``core.attribution_kind``): each
  attribution row split over the kinds its month owes in ``programme.imputation_order`` (an assumption;
  :mod:`recouvra.owed` gives the rule).
* **attribution_month**: the month of the payment date, or, when the agency already received a
  statement for that month or later, the month after its latest published statement; kept once set,
  so a statement already sent never changes.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from recouvra import reconcile_increment as increment

# The fund's month arithmetic, re-exported for the stages that read it from here.
from recouvra.calendar import add_months
from recouvra.calendar import month_end as month_end
from recouvra.calendar import month_of as month_of
from recouvra.config import DEFAULT_IMPUTATION_ORDER
from recouvra.ledger import (
    PAYMENT,
    ZERO,
    LedgerEntry,
    as_date,
    count_ledger,
    money,
    read_ledger_concerning,
    read_ledger_of_affiliations,
    read_ledger_quoted,
    unlinked_reversals,
)

# What a dossier still owes, written once (recouvra.owed), re-exported for the stages that read it here.
from recouvra.owed import Attribution as Attribution
from recouvra.owed import DossierTerms as DossierTerms
from recouvra.owed import KindShare as KindShare
from recouvra.owed import Position as Position
from recouvra.owed import Streams as Streams
from recouvra.owed import attribute as attribute
from recouvra.owed import build_streams as build_streams
from recouvra.owed import position as position
from recouvra.owed import read_dossiers as read_dossiers
from recouvra.owed import read_owed_by_kind as read_owed_by_kind
from recouvra.owed import split_by_kind as split_by_kind
from recouvra.sqlfiles import query

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence
    from decimal import Decimal

    from recouvra.warehouse import Warehouse

log = logging.getLogger(__name__)

MATCH_WINDOW_DAYS = 5
#: Largest gap between an agency's and the ledger's dates for PAYMENT_REF: the reference names the
#: dossier, not the payment, so a month's installment never confirms another month's report.
PAYMENT_REF_WINDOW_DAYS = 31
PAYMENT_REF = "PAYMENT_REF"
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


@dataclass
class ReconcileReport:
    """What :func:`reconcile` found on a run date (small, for XCom and logs)."""

    on: str
    ledger_entries: int = 0
    agency_payments: int = 0
    matched_by_payment_ref: int = 0
    matched_by_receipt: int = 0
    matched_by_debtor: int = 0
    unconfirmed: int = 0
    unconfirmed_amount: str = "0.00"
    unconfirmed_ids: list[tuple[str, str]] = field(default_factory=list)
    attributions: int = 0
    attributed_amount: str = "0.00"
    reversal_attributions: int = 0
    unlinked_reversals: list[int] = field(default_factory=list)
    #: Ledger payments whose quoted reference fails its check digits or is no fund reference (ignored).
    invalid_payment_refs: list[int] = field(default_factory=list)
    #: Ledger payments whose valid reference names a dossier the warehouse does not hold (yet).
    unknown_payment_refs: list[int] = field(default_factory=list)
    #: Dossiers the run decided for (started by the run date, or named by an agency payment), their
    #: groups (recouvra.reconcile_increment), and how many of them it reconciled again.
    dossiers: int = 0
    groups: int = 0
    reconciled_again: int = 0
    #: Whether every dossier was reconciled over the whole ledger (reconciliation.full_rebuild).
    full: bool = False

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly form."""
        d = dict(vars(self))
        d["unconfirmed_ids"] = [list(p) for p in self.unconfirmed_ids]
        return d

    def summary(self) -> str:
        return (f"reconcile {self.on}: {self.agency_payments} agency payments, "
                f"{self.matched_by_payment_ref} matched by payment reference, {self.matched_by_receipt} by "
                f"receipt, {self.matched_by_debtor} "
                f"by debtor/amount/date, {self.unconfirmed} unconfirmed ({self.unconfirmed_amount} MAD); "
                f"{len(self.invalid_payment_refs)} invalid payment reference(s) ignored; {self.attributions} "
                f"attributions, net {self.attributed_amount} MAD; "
                f"{'all' if self.full else self.reconciled_again} of {self.dossiers} dossiers "
                f"({self.groups} groups) reconciled again")


# ------------------------------------------------------------------------------------ pure: matching
def match_payments(
    reported: Iterable[AgencyPayment], ledger: Iterable[LedgerEntry],
    affiliations: Mapping[str, frozenset[str]], *, window_days: int = MATCH_WINDOW_DAYS,
) -> list[PaymentMatch]:
    """One-to-one matches of agency payments to ledger PAYMENTs (module docstring: the three passes and
    their tie-breaking). ``affiliations`` gives each dossier's debtor's affiliation numbers."""
    payments = [e for e in ledger if e.kind == PAYMENT]
    taken: set[int] = set()
    matches: dict[tuple[str, str], PaymentMatch] = {}
    order = sorted(reported, key=lambda p: (p.payment_date, p.agency_code, p.payment_id))
    _match_payment_refs(order, payments, matches, taken)
    _match_receipts(order, payments, matches, taken)
    _match_debtor_amount_date(order, payments, affiliations, window_days, matches, taken)
    return [matches[k] for k in sorted(matches)]


#: Matches made so far, by (agency_code, payment_id).
Matches = dict[tuple[str, str], PaymentMatch]


def _take_closest(candidates: Iterable[tuple[Any, ...]], rule: str, matches: Matches, taken: set[int]
                  ) -> None:
    """Take candidate pairs ``(gap, ..., agency, payment_id, ledger id)`` in their order, one-to-one."""
    for c in sorted(candidates):
        gap, agency, payment_id, ledger_id = c[0], c[-3], c[-2], c[-1]
        if (agency, payment_id) in matches or ledger_id in taken:
            continue
        taken.add(ledger_id)
        matches[(agency, payment_id)] = PaymentMatch(agency, payment_id, ledger_id, rule, gap)


def _match_payment_refs(order: Sequence[AgencyPayment], payments: Sequence[LedgerEntry],
                        matches: Matches, taken: set[int]) -> None:
    """PAYMENT_REF: a ledger payment whose valid quoted reference names the agency payment's dossier,
    dates at most PAYMENT_REF_WINDOW_DAYS apart, whatever the amounts; closest dates, then closest
    amounts first, ties by ids."""
    by_named: dict[str, list[LedgerEntry]] = defaultdict(list)
    for e in payments:
        named = e.named_dossier
        if named is not None:
            by_named[named].append(e)
    pairs: list[tuple[int, Decimal, dt.date, str, str, int]] = []
    for p in order:
        for e in by_named.get(p.dossier_id, []):
            gap = abs((e.payment_date - p.payment_date).days)
            if gap <= PAYMENT_REF_WINDOW_DAYS:
                pairs.append((gap, abs(money(e.amount) - money(p.amount)), p.payment_date, p.agency_code,
                              p.payment_id, e.ledger_payment_id))
    _take_closest(pairs, PAYMENT_REF, matches, taken)


def _match_receipts(order: Sequence[AgencyPayment], payments: Sequence[LedgerEntry],
                    matches: Matches, taken: set[int]) -> None:
    """RECEIPT_REF: the agency's receipt_ref is a free ledger payment's receipt_no (any date gap)."""
    by_receipt: dict[str, list[LedgerEntry]] = defaultdict(list)
    for e in payments:
        by_receipt[e.receipt_no.strip()].append(e)
    for p in order:
        ref = (p.receipt_ref or "").strip()
        if not ref or (p.agency_code, p.payment_id) in matches:
            continue
        free = [e for e in by_receipt.get(ref, []) if e.ledger_payment_id not in taken]
        if not free:
            continue
        e = min(free, key=lambda x: (abs((x.payment_date - p.payment_date).days), x.ledger_payment_id))
        taken.add(e.ledger_payment_id)
        matches[(p.agency_code, p.payment_id)] = PaymentMatch(
            p.agency_code, p.payment_id, e.ledger_payment_id, RECEIPT_REF,
            abs((e.payment_date - p.payment_date).days))


def _match_debtor_amount_date(
    order: Sequence[AgencyPayment], payments: Sequence[LedgerEntry],
    affiliations: Mapping[str, frozenset[str]], window_days: int, matches: Matches, taken: set[int],
) -> None:
    """DEBTOR_AMOUNT_DATE: a free ledger payment of the dossier's debtor, same amount, dates at most
    ``window_days`` apart; closest dates first, ties by ids."""
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
    _take_closest(candidates, DEBTOR_AMOUNT_DATE, matches, taken)


def check_payment_refs(ledger: Iterable[LedgerEntry], known: Iterable[str]) -> tuple[list[int], list[int]]:
    """The ledger PAYMENTs whose quoted reference names no dossier: ``(invalid, unknown)`` ids, invalid
    when its check digits fail or it is no fund reference (ignored: never guessed), unknown when it is
    valid but names a dossier not among ``known`` (the dossiers begun by the run date). Logged."""
    held = set(known)
    invalid, unknown = [], []
    for e in ledger:
        if e.kind != PAYMENT or e.payment_ref is None:
            continue
        named = e.named_dossier
        if named is None:
            invalid.append(e.ledger_payment_id)
        elif named not in held:
            unknown.append(e.ledger_payment_id)
    if invalid:
        log.warning("%d ledger payment(s) quote an invalid payment reference (ignored): %s", len(invalid),
                    invalid[:10])
    if unknown:
        log.warning("%d ledger payment(s) quote the reference of a dossier not held: %s", len(unknown),
                    unknown[:10])
    return invalid, unknown


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


# -------------------------------------------------------------------------------------- reconcile
def _published_months(wh: Warehouse) -> dict[str, dt.date]:
    return {str(a): as_date(m) for a, m in wh.query(query("reconcile/select_published_statement_months"))}


def reconcile(wh: Warehouse, on: dt.date, *, imputation_order: Sequence[str] = DEFAULT_IMPUTATION_ORDER,
              full: bool = False) -> ReconcileReport:
    """Match agency payments to the ledger and attribute ledger entries dated up to ``on`` to dossiers,
    each attribution split by kind in ``imputation_order`` (``programme.imputation_order``); write
    ``core.payment_match`` and those ``core.attribution`` and ``core.attribution_kind`` rows in one
    transaction (unchanged rows keep their timestamps and attribution month: a re-run changes nothing).

    Only the groups of dossiers whose inputs changed since the last run are reconciled again
    (:mod:`recouvra.reconcile_increment`): the others' rows are what this run would write again.
    ``full`` (``reconciliation.full_rebuild``) reconciles every dossier over the whole ledger the rules
    can concern, as one; the result is the same (a test compares them)."""
    dossiers = read_dossiers(wh, on)
    started = {d.dossier_id for d in dossiers}
    reported = [AgencyPayment(str(a), str(p), str(d), as_date(day), money(amt), None if r is None else str(r))
                for a, p, d, day, amt, r in wh.query(query("reconcile/select_agency_payments"))]
    quoted = read_ledger_quoted(wh, on)
    affiliations = {a for d in dossiers for a in d.affiliation_nos}
    group = increment.groups(dossiers, reported, quoted)
    digest = increment.digests(dossiers, reported, quoted,
                               increment.read_affiliation_digests(wh, affiliations, on),
                               increment.read_owed_digests(wh), imputation_order)
    if full:
        again, gone = set(group), set[str]()
        # the entries matching and attribution can concern, whole: the same as the groups' own reads
        ledger = read_ledger_concerning(wh, affiliations, on)
    else:
        again, gone = increment.to_reconcile(digest, group, increment.read_previous(wh))
        dossiers = [d for d in dossiers if d.dossier_id in again]
        ledger = read_ledger_of_affiliations(wh, {a for d in dossiers for a in d.affiliation_nos}, on,
                                             also=quoted)
    mine = [p for p in reported if p.dossier_id in again]
    matches = match_payments(mine, ledger, {d.dossier_id: d.affiliation_nos for d in dossiers})
    attributions = attribute(dossiers, ledger, on)
    shares = split_by_kind(attributions, read_owed_by_kind(wh, None if full else again), imputation_order)
    scope = None if full else sorted(again | gone)
    if full or scope:
        _write(wh, on, scope, matches, attributions, shares,
               [(n, group[n], digest[n]) for n in sorted(again)])
    report = _report(wh, on, quoted, started)
    report.groups = len(set(group.values()))
    report.dossiers = len(group)
    report.reconciled_again = len(again)
    report.full = full
    log.info(report.summary())
    return report


@dataclass(frozen=True)
class Posting(Attribution):
    """One row of ``core.attribution``: what a ledger entry's attribution to a dossier changed in one
    statement month (the rows of an entry and dossier add up to its :class:`Attribution`)."""

    attribution_month: dt.date
    attributed_at: dt.datetime
    kinds: tuple[tuple[str, Decimal], ...] = ()  # (kind, amount) of core.attribution_kind, nonzero, sorted


def post(attributions: Sequence[Attribution], shares: Sequence[KindShare], old: Sequence[Posting],
         published: Mapping[str, dt.date], now: dt.datetime) -> list[Posting]:
    """The ``core.attribution`` rows (with their kinds) that replace ``old`` (the stored rows of the same
    dossiers and dates) once reconciliation gives ``attributions`` and ``shares``.

    A statement already sent never changes: the rows of a month up to the agency's latest published
    statement (``published``: agency -> month) are kept as they are. What an entry's attribution or kinds
    changed since is one row, in the month of its row not yet sent when there is one (so a re-run changes
    nothing), else in its payment's month, or the month after the agency's latest statement when that
    month was already sent. Amount 0 when only its kinds moved (a payment recorded late, dated before
    it, took the principal it had settled); no row when nothing changed beyond what was sent."""
    new_kinds: dict[tuple[int, str], dict[str, Decimal]] = defaultdict(lambda: defaultdict(lambda: ZERO))
    for k in shares:
        new_kinds[(k.ledger_payment_id, k.dossier_id)][k.kind] += k.amount
    stored: dict[tuple[int, str], list[Posting]] = defaultdict(list)
    for p in old:
        stored[(p.ledger_payment_id, p.dossier_id)].append(p)
    now_by_key = {(a.ledger_payment_id, a.dossier_id): a for a in attributions}
    out: list[Posting] = []
    for key in sorted(now_by_key.keys() | stored.keys()):
        rows = stored.get(key, [])
        a = now_by_key.get(key)
        first = a if a is not None else rows[0]
        closed = published.get(first.agency_code)
        sent = [p for p in rows if closed is not None and p.attribution_month <= closed]
        unsent = [p for p in rows if closed is None or p.attribution_month > closed]
        out += sent
        amount = (a.amount if a is not None else ZERO) - sum((p.amount for p in sent), ZERO)
        kinds: dict[str, Decimal] = defaultdict(lambda: ZERO, new_kinds.get(key, {}))
        for p in sent:
            for kind, v in p.kinds:
                kinds[kind] -= v
        moved = tuple(sorted((kind, v) for kind, v in kinds.items() if v != 0))
        if amount == 0 and not moved:
            continue
        if unsent:  # at most one: a row is posted in a month not yet sent, and kept there until it is
            was = unsent[0]
            same = (was.amount, was.kinds, was.payment_date) == (amount, moved, first.payment_date)
            month, at = was.attribution_month, (was.attributed_at if same else now)
        else:
            month, at = month_of(first.payment_date), now
            if closed is not None and month <= closed:
                month = add_months(closed, 1)
        out.append(Posting(key[0], key[1], first.agency_code, amount, first.payment_date,
                           first.settles_period, month, at, moved))
    return out


def _stored_postings(wh: Warehouse, on: dt.date, scope: set[str] | None) -> list[Posting]:
    """The ``core.attribution`` rows (with kinds) a run of ``on`` replaces: those dated up to ``on`` of
    the dossiers in ``scope`` (every dossier when None)."""
    def mine(did: str, pdate: Any) -> bool:
        return (scope is None or did in scope) and as_date(pdate) <= on

    kinds: dict[tuple[int, str, dt.date], list[tuple[str, Decimal]]] = defaultdict(list)
    for lid, did, kind, amount, pdate, _, amonth in wh.query(query("reconcile/select_attribution_kinds")):
        if mine(str(did), pdate):
            kinds[(int(lid), str(did), as_date(amonth))].append((str(kind), money(amount)))
    return [Posting(int(r[0]), str(r[1]), str(r[2]), money(r[3]), as_date(r[4]), as_date(r[5]),
                    as_date(r[6]), r[7], tuple(sorted(kinds.get((int(r[0]), str(r[1]), as_date(r[6])), []))))
            for r in wh.query(query("reconcile/select_attributions")) if mine(str(r[1]), r[4])]


def _write(wh: Warehouse, on: dt.date, scope: Sequence[str] | None, matches: Sequence[PaymentMatch],
           attributions: Sequence[Attribution], shares: Sequence[KindShare],
           inputs: Sequence[tuple[str, str, str]]) -> None:
    """Replace the rows of the dossiers in ``scope`` (every row when None) by those given, in one
    transaction; rows that were there already keep their timestamps and attribution month, and those of
    a month whose statement was sent stay as they are (:func:`post`)."""
    import pyarrow as pa

    now = _now()
    old_matches = {(str(a), str(p)): (int(lid), str(rule), int(gap), m)
                   for a, p, lid, rule, gap, m in wh.query(query("reconcile/select_payment_matches"))}
    postings = post(attributions, shares, _stored_postings(wh, on, None if scope is None else set(scope)),
                    _published_months(wh), now)

    def matched_at(m: PaymentMatch) -> dt.datetime:
        old = old_matches.get((m.agency_code, m.payment_id))
        return old[3] if old and old[:3] == (m.ledger_payment_id, m.match_rule, m.day_gap) else now

    kinds = [(p, kind, amount) for p in postings for kind, amount in p.kinds]
    with wh.transaction():
        if scope is None:
            wh.execute(query("reconcile/delete_payment_matches"))
            wh.execute(query("reconcile/delete_attributions"), [on])
            wh.execute(query("reconcile/delete_attribution_kinds"), [on])
            wh.execute(query("reconcile/delete_reconcile_inputs"))
        else:
            wh.execute(query("reconcile/delete_payment_matches_of"), [list(scope)])
            wh.execute(query("reconcile/delete_attributions_of"), [on, list(scope)])
            wh.execute(query("reconcile/delete_attribution_kinds_of"), [on, list(scope)])
            wh.execute(query("reconcile/delete_reconcile_inputs_of"), [list(scope)])
        if matches:
            wh.load_arrow("core.payment_match", pa.table({
                "agency_code": pa.array([m.agency_code for m in matches], pa.string()),
                "payment_id": pa.array([m.payment_id for m in matches], pa.string()),
                "ledger_payment_id": pa.array([m.ledger_payment_id for m in matches], pa.int64()),
                "match_rule": pa.array([m.match_rule for m in matches], pa.string()),
                "day_gap": pa.array([m.day_gap for m in matches], pa.int32()),
                "matched_at": pa.array([matched_at(m) for m in matches], pa.timestamp("us")),
            }))
        if postings:
            wh.load_arrow("core.attribution", pa.table({
                "ledger_payment_id": pa.array([p.ledger_payment_id for p in postings], pa.int64()),
                "dossier_id": pa.array([p.dossier_id for p in postings], pa.string()),
                "agency_code": pa.array([p.agency_code for p in postings], pa.string()),
                "amount": pa.array([p.amount for p in postings], pa.decimal128(18, 2)),
                "payment_date": pa.array([p.payment_date for p in postings], pa.date32()),
                "settles_period": pa.array([p.settles_period for p in postings], pa.date32()),
                "attribution_month": pa.array([p.attribution_month for p in postings], pa.date32()),
                "attributed_at": pa.array([p.attributed_at for p in postings], pa.timestamp("us")),
            }))
        if kinds:
            wh.load_arrow("core.attribution_kind", pa.table({
                "ledger_payment_id": pa.array([p.ledger_payment_id for p, _, _ in kinds], pa.int64()),
                "dossier_id": pa.array([p.dossier_id for p, _, _ in kinds], pa.string()),
                "attribution_month": pa.array([p.attribution_month for p, _, _ in kinds], pa.date32()),
                "kind": pa.array([k for _, k, _ in kinds], pa.string()),
                "amount": pa.array([v for _, _, v in kinds], pa.decimal128(18, 2)),
                "payment_date": pa.array([p.payment_date for p, _, _ in kinds], pa.date32()),
            }))
        if inputs:
            wh.load_arrow("core.reconcile_input", pa.table({
                "dossier_id": pa.array([i[0] for i in inputs], pa.string()),
                "group_id": pa.array([i[1] for i in inputs], pa.string()),
                "digest": pa.array([i[2] for i in inputs], pa.string()),
                "reconciled_on": pa.array([on] * len(inputs), pa.date32()),
                "reconciled_at": pa.array([now] * len(inputs), pa.timestamp("us")),
            }))


def _report(wh: Warehouse, on: dt.date, quoted: Sequence[LedgerEntry], known: set[str]) -> ReconcileReport:
    """What the tables say after a run of ``on`` (the same whichever groups the run reconciled)."""
    report = ReconcileReport(on.isoformat())
    report.ledger_entries = count_ledger(wh, on)
    report.agency_payments = int(wh.query(query("reconcile/count_agency_payments"))[0][0])
    by_rule = {str(rule): int(n) for rule, n in wh.query(query("reconcile/select_match_counts"))}
    report.matched_by_payment_ref = by_rule.get(PAYMENT_REF, 0)
    report.matched_by_receipt = by_rule.get(RECEIPT_REF, 0)
    report.matched_by_debtor = by_rule.get(DEBTOR_AMOUNT_DATE, 0)
    unconfirmed = wh.query(query("reconcile/select_unconfirmed_payments"))
    report.unconfirmed = len(unconfirmed)
    report.unconfirmed_amount = f"{sum((money(r[2]) for r in unconfirmed), ZERO):.2f}"
    report.unconfirmed_ids = [(str(r[0]), str(r[1])) for r in unconfirmed]
    report.invalid_payment_refs, report.unknown_payment_refs = check_payment_refs(quoted, known)
    report.unlinked_reversals = unlinked_reversals(wh, on)
    count, amount, reversals = wh.query(query("reconcile/select_attribution_totals"), [on])[0]
    report.attributions = int(count)
    report.attributed_amount = f"{money(amount):.2f}"
    report.reversal_attributions = int(reversals)
    return report

"""Reconciliation that follows what changed (issue 16, item 2; ``docs/reconciliation.md`` "Only what
changed"): which dossiers' inputs changed since the last run, and which dossiers must be reconciled with
them.

Matching and attribution decide between dossiers only where the dossiers share something: the ledger
entries of an affiliation number two dossiers' debtors both held, a receipt number agency payments of
two dossiers quote, a payment reference naming one dossier quoted on another debtor's payment. Dossiers
linked that way form a **group** (the connected components of those links, :func:`groups`); every
greedy choice of the rules (which agency payment a ledger entry confirms, which dossier a payment is
attributed to) is made between candidates of one group, in the order the whole reconciliation takes
them, so a group reconciled alone gets the rows the whole reconciliation gives it
(tests/unit/test_reconcile_increment.py compares them, run after run).

A dossier's **digest** (:func:`digests`) covers everything its group's reconciliation reads about it:
its terms (not the lifecycle's status fields, which attribution does not read), what its months owe by
kind, the agency payments reported against it, the ledger entries of its debtor's affiliation numbers
dated up to the run date with the reversals naming them, the entries whose payment reference names it
and those whose receipt number its payments quote, and the imputation order. What the months owe and
the entries of each number are digested in the warehouse (``reconcile/select_dossier_owed_digests``,
``reconcile/select_affiliation_digests``: md5 of their lines in order), never read into Python. A run
reconciles again (:func:`to_reconcile`) every group holding a dossier whose digest changed, that is new,
that is gone, or that left a group it shared with such a dossier; the others keep their rows, which are
what a full run would write again. Nodes are the dossiers started by the run date and the dossiers agency
payments name (a payment against a dossier not begun is still matched by its receipt or reference).
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from typing import TYPE_CHECKING, Any, Protocol

from recouvra.ledger import PAYMENT
from recouvra.sqlfiles import query

if TYPE_CHECKING:
    import datetime as dt
    from collections.abc import Iterable, Mapping, Sequence
    from decimal import Decimal

    from recouvra.ledger import LedgerEntry
    from recouvra.owed import DossierTerms
    from recouvra.warehouse import Warehouse


class Reported(Protocol):
    """An agency payment as the increment reads it (core.agency_payment; recouvra.reconcile's
    AgencyPayment)."""

    @property
    def agency_code(self) -> str: ...
    @property
    def payment_id(self) -> str: ...
    @property
    def dossier_id(self) -> str: ...
    @property
    def payment_date(self) -> dt.date: ...
    @property
    def amount(self) -> Decimal: ...
    @property
    def receipt_ref(self) -> str | None: ...


def _receipt(text: str | None) -> str:
    return (text or "").strip()


def _line(e: LedgerEntry) -> tuple[Any, ...]:
    """What matching and attribution read of a ledger entry."""
    return (e.ledger_payment_id, e.receipt_no, e.affiliation_no, e.payment_date.isoformat(), str(e.amount),
            e.kind, e.reverses_payment_id, e.settles_period.isoformat(), e.payment_ref)


def _terms(d: DossierTerms) -> tuple[Any, ...]:
    """What attribution reads of a dossier's terms (status, status date and recalled amount are the
    lifecycle's: attribution reads the recall date only)."""
    return (d.dossier_id, d.agency_code, sorted(d.affiliation_nos), d.assignment_start.isoformat(),
            d.assignment_end.isoformat(), sorted((k.isoformat(), str(v)) for k, v in d.owed.items()),
            None if d.recall_date is None else d.recall_date.isoformat(),
            None if d.portfolio_date is None else d.portfolio_date.isoformat(),
            sorted((k.isoformat(), v.isoformat()) for k, v in d.added_from.items()),
            None if d.extended_to is None else d.extended_to.isoformat(), d.debtor_id,
            None if d.assignment_month is None else d.assignment_month.isoformat(), str(d.commission_rate),
            str(d.commission_cap), None if d.total_due is None else str(d.total_due))


# ---------------------------------------------------------------------------------- warehouse reads
def read_affiliation_digests(wh: Warehouse, affiliations: Iterable[str], on: dt.date) -> dict[str, str]:
    """A digest per affiliation number of its ledger entries dated up to ``on`` and the reversals naming
    them (numbers without entries are absent)."""
    wanted = sorted(set(affiliations))
    if not wanted:
        return {}
    rows = wh.query(query("reconcile/select_affiliation_digests"), [wanted, on, on])
    return {str(aff): str(digest) for aff, digest in rows}


def read_owed_digests(wh: Warehouse) -> dict[str, str]:
    """A digest per dossier of what its months owe by kind (``reconcile/select_dossier_owed_digests``)."""
    return {str(d): str(h) for d, h in wh.query(query("reconcile/select_dossier_owed_digests"))}


def read_previous(wh: Warehouse) -> dict[str, tuple[str, str]]:
    """What the last run read: dossier -> (group, digest)."""
    return {str(d): (str(g), str(h)) for d, g, h in wh.query(query("reconcile/select_reconcile_inputs"))}


# -------------------------------------------------------------------------------------------- pure
def _dossiers_of(dossiers: Iterable[DossierTerms]) -> dict[str, list[str]]:
    by_aff: dict[str, list[str]] = defaultdict(list)
    for d in dossiers:
        for aff in d.affiliation_nos:
            by_aff[aff].append(d.dossier_id)
    return by_aff


def nodes(dossiers: Iterable[DossierTerms], reported: Iterable[Reported]) -> list[str]:
    """The dossiers a reconciliation decides for: those started by the run date and those agency
    payments name, sorted."""
    return sorted({d.dossier_id for d in dossiers} | {p.dossier_id for p in reported})


def groups(dossiers: Sequence[DossierTerms], reported: Sequence[Reported],
           quoted: Iterable[LedgerEntry]) -> dict[str, str]:
    """Each node's group: its smallest dossier id among those it is linked to (module docstring)."""
    parent = {n: n for n in nodes(dossiers, reported)}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def union(members: Iterable[str]) -> None:
        roots = sorted({find(m) for m in members})
        for r in roots[1:]:
            parent[r] = roots[0]

    by_aff = _dossiers_of(dossiers)
    for members in by_aff.values():
        union(members)
    quoting: dict[str, set[str]] = defaultdict(set)
    for p in reported:
        if _receipt(p.receipt_ref):
            quoting[_receipt(p.receipt_ref)].add(p.dossier_id)
    for e in quoted:
        if e.kind != PAYMENT:
            continue
        linked = set(by_aff.get(e.affiliation_no, [])) | quoting.get(_receipt(e.receipt_no), set())
        named = e.named_dossier
        if named is not None and named in parent:
            linked.add(named)
        union(linked)
    return {n: find(n) for n in parent}


def digests(
    dossiers: Sequence[DossierTerms], reported: Sequence[Reported], quoted: Iterable[LedgerEntry],
    affiliation_digests: Mapping[str, str], owed_digests: Mapping[str, str], imputation_order: Sequence[str],
) -> dict[str, str]:
    """Each node's digest: SHA-256 of everything its group's reconciliation reads about it."""
    terms = {d.dossier_id: d for d in dossiers}
    payments: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
    quotes: dict[str, set[str]] = defaultdict(set)
    for p in reported:
        payments[p.dossier_id].append((p.agency_code, p.payment_id, p.payment_date.isoformat(), str(p.amount),
                                       p.receipt_ref))
        if _receipt(p.receipt_ref):
            quotes[p.dossier_id].add(_receipt(p.receipt_ref))
    naming: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
    by_receipt: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
    for e in quoted:
        named = e.named_dossier
        if named is not None:
            naming[named].append(_line(e))
        by_receipt[_receipt(e.receipt_no)].append(_line(e))
    out = {}
    for n in nodes(dossiers, reported):
        d = terms.get(n)
        content = (
            tuple(imputation_order),
            None if d is None else _terms(d),
            owed_digests.get(n, ""),
            sorted(payments.get(n, [])),
            [] if d is None else [(a, affiliation_digests.get(a, "")) for a in sorted(d.affiliation_nos)],
            sorted(naming.get(n, [])),
            sorted(line for r in sorted(quotes.get(n, set())) for line in by_receipt.get(r, [])),
        )
        out[n] = hashlib.sha256(repr(content).encode()).hexdigest()
    return out


def to_reconcile(digest: Mapping[str, str], group: Mapping[str, str],
                 previous: Mapping[str, tuple[str, str]]) -> tuple[set[str], set[str]]:
    """``(again, gone)``: the nodes to reconcile again (whole groups: those holding a node whose digest
    changed or is new, or a node that shared a group with a changed or gone one) and the nodes the last
    run held that are no longer nodes."""
    gone = set(previous) - set(digest)
    changed = {n for n, h in digest.items() if n not in previous or previous[n][1] != h} | gone
    old_groups = {previous[n][0] for n in changed if n in previous}
    seeds = changed | {n for n, (g, _) in previous.items() if g in old_groups}
    wanted = {group[n] for n in seeds if n in group}
    return {n for n, g in group.items() if g in wanted}, gone

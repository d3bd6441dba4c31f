"""The money-integrity audit (agency-exchange v1, "Attribution and commission"): recomputes each
dossier's position from the fund's ledger at the end of every month and names the dossier, agency and
month whose stored numbers disagree: assigned amounts, attributions, the money identity, recalls,
commission statements (the contract's formulas, the cap), the published files' control totals, and
recovered by kind.

It reads what reconciliation (:mod:`recouvra.reconcile`) and commission (:mod:`recouvra.commission`)
wrote, so it sits above both: neither imports it.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from recouvra.calendar import require_month
from recouvra.commission import KIND_COLUMNS, statement_line
from recouvra.ledger import PAYMENT, ZERO, as_date, money, read_attributed_entries, read_ledger_concerning
from recouvra.owed import impute
from recouvra.reconcile import (
    DossierTerms,
    build_streams,
    month_end,
    months_from,
    position,
    read_dossiers,
    read_owed_by_kind,
)
from recouvra.sqlfiles import query

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from recouvra.warehouse import Warehouse


@dataclass(frozen=True)
class Violation:
    """A broken money rule, naming the dossier (or agency) and month."""

    code: str
    month: str
    detail: str
    dossier_id: str | None = None
    agency_code: str | None = None

    def __str__(self) -> str:
        who = self.dossier_id or self.agency_code or "warehouse"
        return f"{self.code} {who} {self.month}: {self.detail}"


def check_integrity(wh: Warehouse, month: dt.date, *,
                    imputation_order: Sequence[str] | None = None) -> list[Violation]:
    """Audit money up to the end of ``month``; an empty list when every rule holds.

    For every dossier and every month from its assignment to ``month`` (positions recomputed from
    ``core.ledger_payment``):

    * ``ASSIGNED``: total_due = the sum of its detail rows (core.dossier_period);
    * ``ATTRIBUTION``: the net of its ``core.attribution`` rows dated by the month's end equals what the
      ledger gives, and every row points at a ledger entry of the same date and month, never larger;
    * ``IDENTITY``: assigned = attributed + settled otherwise + open + recalled + closed, each term
      non-negative (open while with the agency; recalled after a recall; closed once CLOSED);
    * ``RECALLED``: the recalled amount equals what the ledger, as known on the day the recall was
      decided (entries first seen by then), leaves open on the recall date: a payment dated before
      the recall but recorded after it lowers what is owed, not what was recalled;
    * ``CAP`` and ``STATEMENT``: each statement row follows the contract's formulas from the attributions,
      commission_paid_to_date never above the cap, and the months' commission_this_month add up to it;
    * ``FILE``: a published commission file's control total equals the warehouse's total;
    * ``KIND`` (recovered by kind): every attribution row's kinds (``core.attribution_kind``) add up to
      its amount; per dossier and contribution month, at every month end, what each kind recovered lies
      between 0 and what that kind owes, and with ``imputation_order`` (``programme.imputation_order``)
      it is what that order gives; a statement row's recovered by kind adds up to its attributed_amount
      and equals its attributions' kinds.
    """
    month = require_month(month)
    eom = month_end(month)
    out: list[Violation] = []
    label = f"{month:%Y-%m}"
    dossiers = read_dossiers(wh, eom)
    # The entries the dossiers' positions can depend on, and those attributed: the same streams and
    # checks as the whole ledger gives, without reading it whole (twice) into Python objects.
    ledger = read_ledger_concerning(wh, {a for d in dossiers for a in d.affiliation_nos}, eom)
    streams = build_streams(dossiers, ledger, eom)
    by_id = read_attributed_entries(wh)
    decided_on = {str(i): as_date(d) for i, d in wh.query(query("integrity/select_recall_decision_days"))}
    known_streams: dict[dt.date, Any] = {}

    def recall_open(d: DossierTerms) -> Decimal | None:
        """What the ledger known on the recall's decision day leaves open on its recall date."""
        if d.recall_date is None:
            return None
        day = decided_on.get(d.dossier_id, d.recall_date)
        if day not in known_streams:
            known = [e for e in ledger if e.first_seen_on is None or e.first_seen_on <= day]
            known_streams[day] = build_streams(dossiers, known, eom)
        return position(known_streams[day], d.dossier_id, d.recall_date).remaining
    stored: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
    for row in wh.query(query("reconcile/select_attributions")):
        stored[str(row[1])].append(row)

    for d in dossiers:
        if d.total_due is not None and d.total_due != d.assigned:
            out.append(Violation("ASSIGNED", label,
                                 f"total_due {d.total_due} but its months sum to {d.assigned}",
                                 d.dossier_id, d.agency_code))
        out += _check_rows(d, stored.get(d.dossier_id, []), by_id, label)
        if d.recall_date is not None and d.recall_date <= eom and d.recalled_amount is not None:
            left = recall_open(d)
            if d.recalled_amount != left:
                out.append(Violation("RECALLED", label, f"recalled_amount {d.recalled_amount} but the ledger "
                                     f"known on {decided_on.get(d.dossier_id, d.recall_date)} leaves {left} "
                                     f"open on {d.recall_date}", d.dossier_id, d.agency_code))
        for m in months_from(d.assignment_start, month):
            end = month_end(m)
            pos = position(streams, d.dossier_id, end)
            got = sum((money(r[3]) for r in stored.get(d.dossier_id, []) if as_date(r[4]) <= end), ZERO)
            where = f"{m:%Y-%m}"
            if got != pos.attributed:
                out.append(Violation("ATTRIBUTION", where, f"attributed {got} but the ledger gives "
                                     f"{pos.attributed}", d.dossier_id, d.agency_code))
            remaining = pos.assigned - got - pos.settled_other
            recalled = remaining if d.recall_date is not None and d.recall_date <= end else ZERO
            closed = remaining if not recalled and d.status == "CLOSED" and d.status_date \
                and d.status_date <= end else ZERO
            open_ = remaining - recalled - closed
            if min(open_, recalled, closed, pos.settled_other, got) < 0 or \
                    pos.assigned != got + pos.settled_other + open_ + recalled + closed:
                out.append(Violation("IDENTITY", where,
                                     f"assigned {pos.assigned} != attributed {got} + settled otherwise "
                                     f"{pos.settled_other} + open {open_} + recalled {recalled} + "
                                     f"closed {closed}", d.dossier_id, d.agency_code))
    out += _check_statements(wh, month, dossiers)
    out += _check_kinds(wh, month, dossiers, stored, imputation_order)
    return out


def _check_rows(d: DossierTerms, rows: Sequence[tuple[Any, ...]], by_id: Mapping[int, Any],
                label: str) -> list[Violation]:
    """``ATTRIBUTION``, row by row: every row of the dossier points at a ledger entry of its date and
    month, and an entry's rows (postings) add up to never more than the entry."""
    out: list[Violation] = []
    net: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for row in rows:
        net[int(row[0])] += money(row[3])
    for row in rows:
        lid, pdate, period = int(row[0]), as_date(row[4]), as_date(row[5])
        e = by_id.get(lid)
        if e is None:
            out.append(Violation("ATTRIBUTION", label, f"ledger entry {lid} attributed but not in the ledger",
                                 d.dossier_id, d.agency_code))
        elif e.payment_date != pdate or (e.kind == PAYMENT and e.settles_period != period) or \
                abs(net[lid]) > abs(e.amount):
            out.append(Violation("ATTRIBUTION", label, f"ledger entry {lid} attributed {net[lid]} dated "
                                 f"{pdate} but the ledger says {e.amount} dated {e.payment_date}",
                                 d.dossier_id, d.agency_code))
    return out


def _check_statements(wh: Warehouse, month: dt.date, dossiers: Sequence[DossierTerms]) -> list[Violation]:
    terms = {d.dossier_id: d for d in dossiers}
    by_month: dict[str, dict[dt.date, Decimal]] = defaultdict(lambda: defaultdict(lambda: ZERO))
    for dossier_id, amonth, amount in wh.query(query("reconcile/select_attributed_by_month")):
        by_month[str(dossier_id)][as_date(amonth)] += money(amount)
    out: list[Violation] = []
    paid: dict[str, Decimal] = defaultdict(lambda: ZERO)
    totals: dict[tuple[str, dt.date], Decimal] = defaultdict(lambda: ZERO)
    for (smonth, dossier_id, agency, attributed, rate, cap, before, paid_to_date, this_month, reached,
         *_) in wh.query(query("reconcile/select_commission_statements")):
        sm = as_date(smonth)
        if sm > month:
            continue
        did, where = str(dossier_id), f"{sm:%Y-%m}"
        d = terms.get(did)
        expect_attr = sum((v for k, v in by_month[did].items() if k <= sm), ZERO)
        line = statement_line(expect_attr, Decimal(rate), money(cap), paid[did])
        got = (money(attributed), money(before), money(paid_to_date), money(this_month), bool(reached))
        want = (line.attributed_amount, line.commission_before_cap, line.commission_paid_to_date,
                line.commission_this_month, line.cap_reached)
        if money(paid_to_date) > money(cap):
            out.append(Violation("CAP", where, f"commission_paid_to_date {paid_to_date} above the cap {cap}",
                                 did, str(agency)))
        if d is not None and (Decimal(rate) != d.commission_rate or money(cap) != d.commission_cap):
            out.append(Violation("STATEMENT", where, f"rate {rate} / cap {cap} differ from the dossier's",
                                 did, str(agency)))
        if got != want:
            out.append(Violation("STATEMENT", where, f"statement says (attributed, before cap, paid to date, "
                                 f"this month, cap) {got}, the attributions give {want}", did, str(agency)))
        paid[did] += money(this_month)
        if paid[did] != money(paid_to_date):
            out.append(Violation("STATEMENT", where,
                                 f"commission_this_month over the months sums to {paid[did]}, not "
                                 f"commission_paid_to_date {paid_to_date}", did, str(agency)))
            paid[did] = money(paid_to_date)
        totals[(str(agency), sm)] += money(this_month)
    for agency, label, name, control, _ in wh.query(query("reconcile/select_commission_file_totals")):
        sm = dt.date(int(str(label)[:4]), int(str(label)[4:6]), 1)
        if sm > month or control is None:
            continue
        if money(control) != totals.get((str(agency), sm), ZERO):
            out.append(Violation("FILE", f"{sm:%Y-%m}", f"{name} control_total {control} but the warehouse's "
                                 f"commission_this_month total is {totals.get((str(agency), sm), ZERO)}",
                                 agency_code=str(agency)))
    return out


#: Kind rows as the KIND rules read them: (ledger_payment_id, kind, amount, payment_date, settles_period).
_KindRow = tuple[int, str, Decimal, dt.date, dt.date]


def _check_kinds(wh: Warehouse, month: dt.date, dossiers: Sequence[DossierTerms],
                 stored: dict[str, list[tuple[Any, ...]]], order: Sequence[str] | None) -> list[Violation]:
    """The ``KIND`` rules (:func:`check_integrity`)."""
    eom = month_end(month)
    label = f"{month:%Y-%m}"
    out: list[Violation] = []
    owed = read_owed_by_kind(wh)
    kinds: dict[str, list[_KindRow]] = defaultdict(list)
    row_kinds: dict[tuple[int, str, dt.date], Decimal] = defaultdict(lambda: ZERO)
    by_month: dict[str, dict[dt.date, dict[str, Decimal]]] = defaultdict(
        lambda: defaultdict(lambda: defaultdict(lambda: ZERO)))
    for lid, did, kind, amount, pdate, period, amonth in wh.query(
            query("reconcile/select_attribution_kinds")):
        if as_date(pdate) > eom:
            continue
        if period is None:
            out.append(Violation("KIND", label, f"ledger entry {lid} has {kind} {amount} but no "
                                 "attribution row", str(did)))
            continue
        kinds[str(did)].append((int(lid), str(kind), money(amount), as_date(pdate), as_date(period)))
        row_kinds[(int(lid), str(did), as_date(amonth))] += money(amount)
        by_month[str(did)][as_date(amonth)][str(kind)] += money(amount)
    for d in dossiers:
        attributions = [r for r in stored.get(d.dossier_id, []) if as_date(r[4]) <= eom]
        for row in attributions:
            lid, amount = int(row[0]), money(row[3])
            split = row_kinds.get((lid, d.dossier_id, as_date(row[6])), ZERO)
            if split != amount:
                out.append(Violation("KIND", label, f"ledger entry {lid} attributed {amount} but its kinds "
                                     f"add up to {split}", d.dossier_id, d.agency_code))
        for m in months_from(d.assignment_start, month):
            out += _check_dossier_kinds(d, m, attributions, kinds.get(d.dossier_id, []),
                                        owed.get(d.dossier_id, {}), order)
    out += _check_statement_kinds(wh, month, by_month)
    return out


def _check_dossier_kinds(d: DossierTerms, m: dt.date, attributions: Sequence[tuple[Any, ...]],
                         kinds: Sequence[_KindRow], owed: Mapping[dt.date, Mapping[str, Decimal]],
                         order: Sequence[str] | None) -> list[Violation]:
    """At the end of month ``m``, each contribution month's recovered by kind within what each kind owes
    (and, with ``order``, what that order gives)."""
    end, where = month_end(m), f"{m:%Y-%m}"
    out: list[Violation] = []
    net: dict[dt.date, Decimal] = defaultdict(lambda: ZERO)
    for row in attributions:
        if as_date(row[4]) <= end:
            net[as_date(row[5])] += money(row[3])
    got: dict[dt.date, dict[str, Decimal]] = defaultdict(lambda: defaultdict(lambda: ZERO))
    for _, kind, amount, pdate, period in kinds:
        if pdate <= end:
            got[period][kind] += amount
    for period in sorted(set(net) | set(got)):
        owes = owed.get(period, {})
        for kind, amount in sorted(got[period].items()):
            if not ZERO <= amount <= owes.get(kind, ZERO):
                out.append(Violation("KIND", where, f"{period:%Y-%m} {kind} recovered {amount} but it owes "
                                     f"{owes.get(kind, ZERO)}", d.dossier_id, d.agency_code))
        if order is None:
            continue
        have = {k: v for k, v in got[period].items() if v}
        try:
            want = {k: v for k, v in impute(net[period], owes, order).items() if v}
        except ValueError as exc:
            out.append(Violation("KIND", where, f"{period:%Y-%m}: {exc}", d.dossier_id, d.agency_code))
            continue
        if have != want:
            out.append(Violation("KIND", where, f"{period:%Y-%m} recovered by kind {have} but the imputation "
                                 f"order {'/'.join(order)} gives {want}", d.dossier_id, d.agency_code))
    return out


def _check_statement_kinds(
    wh: Warehouse, month: dt.date, by_month: Mapping[str, Mapping[dt.date, Mapping[str, Decimal]]],
) -> list[Violation]:
    """A statement row's recovered by kind adds up to its attributed_amount and equals its attributions'
    kinds (rows stored before the split, with no kinds, aside)."""
    out: list[Violation] = []
    for r in wh.query(query("reconcile/select_commission_statements")):
        sm, did, agency = as_date(r[0]), str(r[1]), str(r[2])
        if sm > month or r[13] is None:
            continue
        stated = tuple(money(v) for v in r[13:16])
        months = by_month.get(did, {})
        want = tuple(sum((v.get(kind, ZERO) for k, v in months.items() if k <= sm), ZERO)
                     for _, kind in KIND_COLUMNS)
        if sum(stated, ZERO) != money(r[3]) or stated != want:
            out.append(Violation("KIND", f"{sm:%Y-%m}", f"statement recovered by kind (principal, "
                                 f"surcharges, penalties) {stated} for attributed {money(r[3])}; its "
                                 f"attributions' kinds give {want}", did, agency))
    return out

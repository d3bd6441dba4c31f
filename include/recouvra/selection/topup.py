"""The top-up of a short month: a second selection run later in the same month.

When the month's selection (:func:`recouvra.selection.select_and_allocate`, run 1 of the month) placed
fewer dossiers than ``programme.dossiers_per_month``, :func:`top_up_month` on a later day ``on`` of the same
month selects more: among the debtors of the portfolio of ``on`` (the latest ``core.debtor_portfolio`` on
or before it) that have no dossier of the month (followed through merges and renumbering, as
``ALREADY_PLACED`` is), by the month's eligibility rules, score, likelihood and ranking, up to the
shortfall (asked less what run 1 placed), within each agency's capacity left (``monthly_capacity`` less
its dossiers of run 1; an agency retired by ``on`` has none), split among agencies as run 1 was (same
strata, shares weighted by capacity left, same seed). The first rule that excludes a debtor and the
reasons of those not selected are those of docs/selection.md; a title's days left are counted from ``on``.

It writes run 2 of the month in one transaction: ``core.selection_run`` (``selection_seq`` 2,
``assignment_start`` ``on``, ``dossiers_target`` the shortfall), ``core.selection_decision`` and
``core.selection_score`` (``selection_seq`` 2, the debtors it considered), ``core.dossier`` and
``core.dossier_period``: dossier ids numbered on after run 1's, window from ``on`` to the month's window
end, status ALLOCATED, amounts from the lake on the portfolio date. Publication sends them as each agency's
package ``<SEQ>`` 02 and leaves run 1's ``_01`` files as they are
(:func:`recouvra.publication.build_packages` with ``selection_seq=2``).

* Run 1 must be published (its dossiers with their agencies). A month not yet published is re-run, not
  topped up: a re-run rewrites the month whole.
* A month whose run 1 placed what was asked tops up nothing, writes nothing and says so
  (:attr:`TopUpReport.nothing`); so does a month where no agency has capacity left.
* One top-up per month. Once its dossiers are published (or recalled) it is frozen: a re-run, whatever its
  day, changes nothing and reports it. Before that, a re-run deletes and writes it again: the same data and
  seed give the same dossiers and ids (``created_at`` kept), and a later day may replace it.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from recouvra.selection.allocation import (
    AgencySlot,
    agency_shares,
    allocate,
    apportion,
    eligible_agencies,
    score_bands,
)
from recouvra.selection.common import (
    CENT,
    SelectionError,
    add_months,
    current_debtors,
    debtor_resolver,
    first_day,
    window_end,
)
from recouvra.selection.monthly import (
    SelectionReport,
    _apply_placement_rules,
    _Debtor,
    _dossier_periods,
    _read_debtors,
    _select_in_rank_order,
    _total,
    _write,
    _write_run,
    agency_slots,
    candidate,
    check_settings,
    likelihood_model,
    recovery_rates,
    sync_agencies,
)
from recouvra.sqlfiles import query, statements

if TYPE_CHECKING:
    from pathlib import Path

    from recouvra.config import Settings
    from recouvra.warehouse import Warehouse

log = logging.getLogger(__name__)

#: The month's selection is run 1; its top-up is run 2, sent as each agency's package <SEQ> 02.
TOP_UP_SEQ = 2


@dataclass
class TopUpReport(SelectionReport):
    """What a top-up decided (plain values, fit for XCom and logs): the selection's figures for run 2,
    and the shortfall it was asked to fill."""

    on: str = ""             # the top-up's day (the published one's when frozen)
    asked: int = 0           # programme.dossiers_per_month
    placed_before: int = 0   # dossiers of the month's selection (run 1)
    shortfall: int = 0       # asked - placed_before: the most the top-up may place
    nothing: str | None = None  # why nothing was topped up, when so

    def summary(self) -> str:
        if self.frozen:
            return (f"top-up {self.month}: already published (topped up on {self.on}, {self.selected} "
                    f"dossiers, {self.total_due} MAD), left as is")
        if self.nothing:
            return f"top-up {self.month} on {self.on}: nothing topped up, {self.nothing}"
        per = ", ".join(f"{c} {v['dossiers']}" for c, v in self.agencies.items())
        return (f"top-up {self.month} on {self.on} (portfolio {self.as_of_date}, seed {self.seed}): "
                f"{self.placed_before:,} of {self.asked:,} placed by the month's selection, shortfall "
                f"{self.shortfall:,}; {self.considered:,} debtors without a dossier of the month, "
                f"{self.eligible:,} eligible, {self.selected:,} dossiers ({self.total_due} MAD) -> {per}; "
                f"excluded {self.excluded}; not selected {self.not_selected}")


@dataclass(frozen=True)
class _Placed:
    """A dossier of the month (core.dossier) as the top-up sees it."""

    dossier_id: str
    debtor_id: int
    affiliation_no: str
    agency_code: str
    assignment_start: dt.date
    status: str
    created_at: Any
    recalls: int


def top_up_month(wh: Warehouse, lake: Path, settings: Settings, month: dt.date, on: dt.date, *,
                 seed: int) -> TopUpReport:
    """Top up ``month`` on the day ``on`` (see the module docstring). Deterministic for (warehouse data,
    lake, settings, seed, on); idempotent."""
    month = first_day(month)
    label = f"{month:%Y-%m}"
    if not month < on < add_months(month, 1):
        raise SelectionError(
            f"top-up of {label} on {on.isoformat()}: the day must fall within the month, after its first day "
            "(the first day is the month's own selection)")
    report = TopUpReport(month.isoformat(), "", seed, on=on.isoformat(),
                         asked=settings.programme.dossiers_per_month)
    report.warnings = check_settings(settings, on)
    if not wh.query(query("selection/select_month_summary"), [month, 1]):
        raise SelectionError(f"no selection of {label} to top up: run assignment_monthly for the month first")
    placed = [_Placed(str(i), int(d), str(a), str(g), s, str(st), c, int(r))
              for i, d, a, g, s, st, c, r in wh.query(query("selection/select_month_placed"), [month])]
    first = [p for p in placed if p.assignment_start == month]
    earlier = [p for p in placed if p.assignment_start != month]
    waiting = sorted(p.dossier_id for p in first if p.status == "ALLOCATED")
    if waiting:
        raise SelectionError(
            f"selection of {label} not published yet ({len(waiting)} dossiers ALLOCATED, e.g. "
            f"{waiting[0]}): publish the month (or re-run its selection) before topping it up")
    if any(p.status != "ALLOCATED" or p.recalls for p in earlier):
        return _frozen(wh, month, report)
    report.placed_before = len(first)
    report.shortfall = max(0, report.asked - len(first))
    if report.shortfall == 0:
        return _nothing(wh, month, report, f"no shortfall: the month's selection placed {len(first):,} of "
                                           f"{report.asked:,} dossiers")
    used = Counter(p.agency_code for p in first)
    active = agency_slots(settings, on)
    slots = [AgencySlot(s.code, s.regions, s.capacity - used[s.code], s.serves_all) for s in active
             if s.capacity > used[s.code]]
    if not slots:
        full = ", ".join(f"{c} {n}" for c, n in sorted(used.items()))
        return _nothing(wh, month, report, f"no agency has capacity left this month ({full} placed)")
    return _select(wh, lake, settings, month, on, report, first, earlier, active, slots)


def _select(wh: Warehouse, lake: Path, settings: Settings, month: dt.date, on: dt.date, report: TopUpReport,
            first: list[_Placed], earlier: list[_Placed], active: list[AgencySlot],
            slots: list[AgencySlot]) -> TopUpReport:
    """Read, rank, select, allocate and write the top-up (run 2) once it is known to have room."""
    rows = wh.query(query("selection/select_portfolio_date"), [on])
    if not rows or rows[0][0] is None:
        raise SelectionError(f"no core.debtor_portfolio on or before {on.isoformat()}: build the debtor "
                             "master first")
    as_of: dt.date = rows[0][0]
    report.as_of_date = as_of.isoformat()
    end = window_end(month, settings.programme.assignment_window_months)
    model, results = likelihood_model(wh, settings, month)
    rates, _ = recovery_rates(wh, settings, month)
    merged, bridge = debtor_resolver(wh)
    in_month = current_debtors([(p.dossier_id, p.debtor_id, p.affiliation_no) for p in first], merged, bridge)
    debtors = [d for d in _read_debtors(wh, settings, month, as_of, model, start=on)
               if d.debtor_id not in in_month]
    _apply_placement_rules(wh, debtors, month, end, settings.programme.eligibility.recall_cooling_off_months,
                           start=on, max_tier=settings.programme.eligibility.max_placement_tier)
    eligible = sorted((d for d in debtors if d.reason is None),
                      key=lambda d: (-d.priority, -d.score, d.debtor_id))
    _unserved(settings, eligible, active, report)
    chosen = _select_in_rank_order(eligible, slots, report.shortfall)
    periods, mismatches = _dossier_periods(wh, lake, as_of, chosen)
    perf = settings.allocation.performance
    weights, shares = agency_shares(slots, rates, float(perf.min_share), float(perf.max_share))
    targets = apportion(len(chosen), shares, {s.code: s.capacity for s in slots})
    cands = score_bands([candidate(d, _total(periods[d.debtor_id])) for d in chosen],
                        settings.allocation.score_bands)
    result = allocate(cands, slots, targets, seed=report.seed,
                      tolerance=float(settings.allocation.balance_tolerance),
                      max_draws=settings.allocation.max_draws)
    band = {c.key: c.band for c in cands}
    for d in chosen:
        d.band = band[d.debtor_id]
    after = max((int(p.dossier_id[-6:]) for p in first), default=0)
    ids = {d.debtor_id: f"D{month:%Y%m}-{after + k:06d}" for k, d in enumerate(chosen, start=1)}

    report.considered, report.eligible, report.selected = len(debtors), len(eligible), len(chosen)
    report.total_due = str(sum((_total(periods[d.debtor_id]) for d in chosen), Decimal("0.00")))
    report.likelihood_source, report.results_months = model.source, results
    report.share_rule = "RECOVERY_RATE" if rates else "CAPACITY"
    report.balance_max_deviation = None if result.max_deviation is None else round(result.max_deviation, 6)
    report.balance_met, report.balance_draws, report.amount_mismatches = (result.balance_met, result.draws,
                                                                          mismatches)
    for s in slots:
        stats = result.per_agency.get(s.code, {"dossiers": 0, "mean_score": None, "mean_total_due": None})
        report.agencies[s.code] = {"capacity_left": s.capacity, "weight": round(weights[s.code], 4),
                                   "share": round(shares[s.code], 6), "target": targets.get(s.code, 0),
                                   "recovery_rate": (rates or {}).get(s.code), **stats}
    _count_reasons(debtors, report)
    if len(chosen) < report.shortfall:
        report.warnings.append(f"{len(chosen)} dossiers topped up, below the shortfall {report.shortfall}")
    if mismatches:
        report.warnings.append(f"{mismatches} selected debtor(s) owe, per the lake, other amounts than the "
                               "portfolio says: the dossiers carry the lake's (rebuild the debtor master)")

    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    created_at = {(p.dossier_id, p.debtor_id): p.created_at for p in earlier}
    with wh.transaction():
        for statement in statements("selection/delete_selection_top_up"):
            wh.execute(statement, [month])
        sync_agencies(wh, settings, now, on)
        _write(wh, settings, month, as_of, end, debtors, chosen, periods, ids, result.agency_of, created_at,
               now, seq=TOP_UP_SEQ, start=on)
        _write_run(wh, month, as_of, report.seed, report.shortfall, report, model, now, seq=TOP_UP_SEQ,
                   start=on)
    for w in report.warnings:
        log.warning("top-up %s: %s", month, w)
    log.info(report.summary())
    return report


def _unserved(settings: Settings, eligible: list[_Debtor], active: list[AgencySlot],
              report: TopUpReport) -> None:
    """Warn (or fail, ``allocation.unserved_region: fail``) about eligible debtors of a region no agency of
    the day serves, as the month's selection does."""
    unserved = sorted({d.region or "UNKNOWN" for d in eligible if not eligible_agencies(d.region, active)})
    if not unserved:
        return
    message = (f"eligible debtors in region(s) no agency serves: {', '.join(unserved)} "
               "(left NOT_SELECTED, NO_AGENCY_CAPACITY)")
    if settings.allocation.unserved_region == "fail":
        raise SelectionError(message + "; allocation.unserved_region is fail")
    report.warnings.append(message)


def _count_reasons(debtors: list[_Debtor], report: TopUpReport) -> None:
    for d in debtors:
        if d.decision != "SELECTED":
            bucket = report.excluded if d.decision == "EXCLUDED" else report.not_selected
            bucket[str(d.reason)] = bucket.get(str(d.reason), 0) + 1


def _nothing(wh: Warehouse, month: dt.date, report: TopUpReport, why: str) -> TopUpReport:
    """Top up nothing and say why; an earlier top-up of the month not yet published is withdrawn (the
    re-run replaces it, with nothing)."""
    report.nothing = why
    with wh.transaction():
        for statement in statements("selection/delete_selection_top_up"):
            wh.execute(statement, [month])
    log.info(report.summary())
    return report


def _frozen(wh: Warehouse, month: dt.date, report: TopUpReport) -> TopUpReport:
    """The month's top-up as published: left as is, reported (with a warning when asked for another day)."""
    as_of, run_seed, n, total, start, target = wh.query(query("selection/select_month_summary"),
                                                        [month, TOP_UP_SEQ])[0]
    if start.isoformat() != report.on:
        report.warnings.append(f"{month:%Y-%m} was topped up on {start.isoformat()} already: a month has one "
                               f"top-up, the one of {report.on} is not made")
    report.frozen, report.on, report.as_of_date = True, start.isoformat(), as_of.isoformat()
    report.seed = int(run_seed)
    report.selected, report.shortfall = int(n), int(target)
    report.total_due = str(Decimal(total).quantize(CENT))
    for w in report.warnings:
        log.warning("top-up %s: %s", month, w)
    log.info(report.summary())
    return report

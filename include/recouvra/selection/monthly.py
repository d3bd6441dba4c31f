"""The monthly selection: eligibility, score, selection of N debtors, allocation, dossiers.

:func:`select_and_allocate` reads the debtor portfolio (``core.debtor_portfolio`` at the latest date on
or before the month start) and writes, in one transaction, the month's ``core.selection_decision``
(every debtor, with decision and reason), ``core.selection_score`` (its score card),
``core.dossier`` and ``core.dossier_period`` (the dossiers, amounts from the lake), ``core.selection_run``
and ``core.dim_agency`` (synced with the configuration). A re-run of the month deletes and rewrites
those rows and, for the same data and seed, reproduces them with the same dossier ids. A month whose
dossiers have been published (or recalled) is frozen: a re-run changes nothing and reports it.
Rules and their reasons: docs/selection.md.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from recouvra.selection.allocation import (
    AgencySlot,
    Candidate,
    RegionFlow,
    agency_shares,
    allocate,
    apportion,
    eligible_agencies,
    other_agencies,
    score_bands,
)
from recouvra.selection.common import (
    CENT,
    SelectionError,
    add_months,
    centimes_to_mad,
    current_debtors,
    debtor_resolver,
    first_day,
    months_between,
    outstanding_by_owner,
    window_end,
)
from recouvra.selection.replacement import (
    FIRST,
    MAX_TIER_REACHED,
    NO_OTHER_AGENCY,
    Placement,
    read_placements,
)
from recouvra.selection.scoring import (
    Features,
    LikelihoodModel,
    fit_likelihood,
    score,
    valid_email,
    valid_phone,
    weighted_due,
)
from recouvra.sqlfiles import query, statements

if TYPE_CHECKING:
    from pathlib import Path

    from recouvra.config import Settings
    from recouvra.warehouse import Warehouse

log = logging.getLogger(__name__)

#: Exclusion reasons, in the order they are tested (the first that applies is recorded).
EXCLUSION_ORDER: tuple[str, ...] = (
    "ALREADY_PLACED", "RECALL_COOLING_OFF", MAX_TIER_REACHED, "INSOLVENT_OR_LIQUIDATION", "CEASED_NO_ASSETS",
    "LEGAL_PROCEEDING", "HONOURED_PLAN", "DISPUTED", "BELOW_MINIMUM", "TITLE_NEAR_LIMIT",
)
SELECTED_REASON = "TOP_SCORE"
QUOTA = "QUOTA"
NO_AGENCY_CAPACITY = "NO_AGENCY_CAPACITY"
KINDS = (("PRINCIPAL", 0), ("SURCHARGE", 1), ("PENALTY", 2))


@dataclass
class SelectionReport:
    """What a monthly selection decided (plain values, fit for XCom and logs)."""

    month: str
    as_of_date: str
    seed: int
    considered: int = 0
    eligible: int = 0
    selected: int = 0
    excluded: dict[str, int] = field(default_factory=dict)
    not_selected: dict[str, int] = field(default_factory=dict)
    total_due: str = "0.00"
    likelihood_source: str = "PRIOR"
    results_months: int = 0
    share_rule: str = "CAPACITY"
    agencies: dict[str, dict[str, Any]] = field(default_factory=dict)
    balance_max_deviation: float | None = None
    balance_met: bool = True
    balance_draws: int = 0
    amount_mismatches: int = 0
    warnings: list[str] = field(default_factory=list)
    frozen: bool = False

    def summary(self) -> str:
        if self.frozen:
            return f"selection {self.month}: already published, left as is ({self.selected} dossiers)"
        dev = "n/a" if self.balance_max_deviation is None else f"{self.balance_max_deviation:.1%}"
        per = ", ".join(f"{c} {v['dossiers']}" for c, v in self.agencies.items())
        return (f"selection {self.month} (portfolio {self.as_of_date}, seed {self.seed}): "
                f"{self.considered:,} debtors, {self.eligible:,} eligible, {self.selected:,} dossiers "
                f"({self.total_due} MAD) -> {per}; balance {dev} in {self.balance_draws} draw(s); "
                f"excluded {self.excluded}; not selected {self.not_selected}")

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class EmptySelectionError(SelectionError):
    """A month that selected no dossier: the run fails and alerts, naming why (never a silent month)."""


def _apply_placement_rules(wh: Warehouse, debtors: list[_Debtor], month: dt.date, end: dt.date,
                           cooling_off_months: int, start: dt.date | None = None, max_tier: int = 3) -> None:
    """Placement rules: a debtor with an open dossier of another month whose window overlaps the new one
    (``start``, the month's first day by default, to ``end``) is ``ALREADY_PLACED``; one recalled within
    the cooling-off period is ``RECALL_COOLING_OFF``; one returned unresolved at ``max_tier`` is
    ``MAX_TIER_REACHED``. Each debtor gets its next placement (tier, agencies it may not go to)."""
    merged, bridge = debtor_resolver(wh)
    placed = current_debtors(
        wh.query(query("selection/select_open_dossiers"), [month, start or month, end]), merged, bridge
    )
    cooling_from = add_months(month, -cooling_off_months)
    cooling = current_debtors(
        wh.query(query("selection/select_recent_recalls"), [month, cooling_from]), merged, bridge
    ) if cooling_off_months > 0 else set()
    nexts = read_placements(wh, start or month)
    for d in debtors:
        d.placement = nexts.get(d.debtor_id, FIRST)
        if d.debtor_id in placed:
            d.reason = "ALREADY_PLACED"
        elif d.debtor_id in cooling:
            d.reason = "RECALL_COOLING_OFF"
        elif d.placement.tier > max_tier:
            d.reason = MAX_TIER_REACHED


def _select_in_rank_order(eligible: list[_Debtor], slots: list[AgencySlot], quota: int) -> list[_Debtor]:
    """Select the ranked eligible debtors in order while the quota lasts and a feasible allocation
    exists; every one gets its rank and its decision."""
    flow = RegionFlow(slots)
    chosen: list[_Debtor] = []
    for rank, d in enumerate(eligible, start=1):
        d.rank = rank
        if len(chosen) >= quota:
            d.decision, d.reason = "NOT_SELECTED", QUOTA
        elif flow.add(d.region, d.placement.held_by):
            d.decision, d.reason = "SELECTED", SELECTED_REASON
            chosen.append(d)
        elif d.placement.held_by and not other_agencies(d.region, slots, d.placement.held_by):
            d.decision, d.reason = "NOT_SELECTED", NO_OTHER_AGENCY  # only its earlier agencies serve it
        else:
            d.decision, d.reason = "NOT_SELECTED", NO_AGENCY_CAPACITY
    return chosen


def require_dossiers(report: SelectionReport) -> SelectionReport:
    """``report`` when the month selected at least one dossier; otherwise :class:`EmptySelectionError`
    naming the debtors considered and eligible and the counts of every exclusion and non-selection
    reason. The selection itself is recorded (``core.selection_run`` and ``core.selection_decision``) so
    that the reasons can be read there."""
    if report.selected > 0 or report.frozen:
        return report

    def counts(by_reason: dict[str, int]) -> str:
        ranked = sorted(by_reason.items(), key=lambda kv: (-kv[1], kv[0]))
        return ", ".join(f"{reason} {n:,}" for reason, n in ranked) or "none"

    raise EmptySelectionError(
        f"selection {report.month}: no dossier selected out of {report.considered:,} debtors "
        f"({report.eligible:,} eligible); excluded: {counts(report.excluded)}; not selected: "
        f"{counts(report.not_selected)}. Nothing to publish: check the eligibility rules and the debtor "
        f"master (core.selection_decision holds each debtor's reason)")


@dataclass
class _Debtor:
    """One debtor of the month with everything the decision needs."""

    debtor_id: int
    affiliation_no: str
    region: str | None
    amounts: tuple[Decimal, Decimal, Decimal]
    total_open: Decimal
    unpaid_periods: int
    segment: str
    features: Features
    title_days_left: int | None
    weighted: Decimal
    likelihood: Decimal
    score: Decimal
    priority: int
    reason: str | None = None
    decision: str = "EXCLUDED"
    rank: int | None = None
    band: int | None = None
    placement: Placement = FIRST


# --- configuration checks -------------------------------------------------------------------------

def agency_slots(settings: Settings, on: dt.date) -> list[AgencySlot]:
    """The agencies that take new dossiers on ``on`` (configured, not retired by then) as allocation
    sees them: a retired agency has no slot, so neither its regions nor its capacity count."""
    from recouvra.config import REGIONS

    return [AgencySlot(a.code, frozenset(a.regions), a.monthly_capacity, set(a.regions) >= set(REGIONS))
            for a in settings.agencies_on(on)]


def check_settings(settings: Settings, on: dt.date | None = None) -> list[str]:
    """Refuse a configuration the month cannot be run with; return warnings for what it can live
    with. (Capacity below the monthly count, unknown regions, duplicate codes and share bounds are
    already refused when the configuration is loaded.) ``on``: the day whose agencies are checked;
    None, the agencies never retired."""
    warnings: list[str] = []
    if not settings.programme.eligibility.exclude_already_placed:
        raise SelectionError("programme.eligibility.exclude_already_placed must be true: a debtor is "
                             "never placed twice")
    slots = agency_slots(settings, dt.date.max if on is None else on)  # date.max: every retirement done
    if not any(s.serves_all for s in slots):
        warnings.append("no agency serves every region: debtors of unknown region cannot be placed")
    return warnings


# --- reading --------------------------------------------------------------------------------------

def _segment(age_months: int | None, title_notified: object, fresh_max: int) -> str:
    """FRESH: the oldest unpaid month is at most ``fresh_max`` months old and no title was notified;
    otherwise UNPAID_TITLE."""
    if age_months is not None and age_months <= fresh_max and title_notified is None:
        return "FRESH"
    return "UNPAID_TITLE"


def _read_debtors(wh: Warehouse, settings: Settings, month: dt.date, on: dt.date,
                  model: LikelihoodModel, start: dt.date | None = None) -> list[_Debtor]:
    """The debtors of the portfolio of ``on`` with their score card and first exclusion; a title's days
    left are counted from ``start`` (the windows' first day: the month's, or a top-up's day)."""
    elig = settings.programme.eligibility
    shift = ((start or month) - on).days
    debtors = []
    for row in wh.query(query("selection/select_candidates"), [on, on]):
        (debtor_id, affiliation_no, region, p, s, pen, total, periods, oldest, notified, days_left,
         payments_12m, reversals, broken, active_plans, in_proc, in_insolv, disputes, activity,
         phone_1, phone_2, email, address, city, no_assets) = row
        age = months_between(oldest, month)
        features = Features(
            payments_12m=int(payments_12m), broken_plans=int(broken), age_months=age,
            reversals=int(reversals), activity_status=str(activity),
            has_phone=valid_phone(phone_1) or valid_phone(phone_2), has_email=valid_email(email),
            has_address=bool(address) and bool(city),
        )
        left = None if days_left is None else int(days_left) - shift
        amounts = (Decimal(p), Decimal(s), Decimal(pen))
        w = weighted_due(*amounts, settings.selection.kind_weights)
        lk = model.likelihood(features)
        near = left is not None and 0 <= left < elig.title_near_limit_days
        d = _Debtor(
            int(debtor_id), str(affiliation_no), region, amounts, Decimal(total), int(periods),
            _segment(age, notified, elig.fresh_max_age_months), features, left, w, lk, score(w, lk),
            priority=1 if (near and elig.title_near_limit_rule == "prioritise") else 0,
        )
        d.reason = _exclusion(d, settings, bool(in_proc), bool(in_insolv), int(active_plans), int(disputes),
                              bool(no_assets))
        debtors.append(d)
    return debtors


def _exclusion(d: _Debtor, settings: Settings, in_proc: bool, in_insolv: bool, active_plans: int,
               disputes: int, no_assets: bool) -> str | None:
    """The first exclusion rule that applies (placement rules are applied later, by the caller).
    ``no_assets``: an agency closed a dossier of the debtor CEASED_NO_ASSETS; it excludes the debtor
    while its activity stays CEASED (ceased alone does not: agencies locate assets)."""
    elig = settings.programme.eligibility
    if elig.exclude_insolvent_or_liquidation and (
        in_insolv or d.features.activity_status in {"INSOLVENT", "LIQUIDATION"}
    ):
        return "INSOLVENT_OR_LIQUIDATION"
    if elig.exclude_ceased_no_assets and no_assets and d.features.activity_status == "CEASED":
        return "CEASED_NO_ASSETS"
    if elig.exclude_legal_proceeding and in_proc:
        return "LEGAL_PROCEEDING"
    if elig.exclude_honoured_plan and active_plans > 0:
        return "HONOURED_PLAN"
    if elig.exclude_disputed and disputes > 0:
        return "DISPUTED"
    if d.total_open < settings.programme.minimum_total_due:
        return "BELOW_MINIMUM"
    if (elig.title_near_limit_rule == "exclude" and d.title_days_left is not None
            and d.title_days_left < elig.title_near_limit_days):
        return "TITLE_NEAR_LIMIT"
    return None


# --- results of past months: calibration and performance ------------------------------------------

def result_months(wh: Warehouse, month: dt.date, horizon: int) -> list[dt.date]:
    """Past placement months whose results are in: the horizon has passed by ``month`` and the
    commission stage has stated the horizon's last month (so attribution ran that far)."""
    out = []
    for m, _, last_statement in wh.query(query("selection/select_result_months"), [month]):
        m = m if isinstance(m, dt.date) else dt.date.fromisoformat(str(m))
        stated = last_statement is not None and last_statement >= add_months(m, horizon - 1)
        if add_months(m, horizon) <= month and stated:
            out.append(m)
    return out


def _results(wh: Warehouse, months: list[dt.date], horizon: int) -> list[tuple[Any, ...]]:
    rows: list[tuple[Any, ...]] = []
    for m in months:
        rows += wh.query(query("selection/select_dossier_results"), [add_months(m, horizon), m])
    return rows


def likelihood_model(wh: Warehouse, settings: Settings, month: dt.date) -> tuple[LikelihoodModel, int]:
    """The likelihood to score ``month`` with, and the months of results behind it: the prior until
    ``calibration.min_results_months`` months (and ``min_dossiers`` dossiers) have results, then
    the prior refitted on them (:func:`recouvra.selection.scoring.fit_likelihood`)."""
    cal = settings.selection.calibration
    prior = LikelihoodModel.from_prior(settings.selection.likelihood)
    months = result_months(wh, month, cal.results_horizon_months)
    if len(months) < cal.min_results_months:
        return prior, len(months)
    data: list[tuple[Features, float]] = []
    for (_, _, _, recovered, pay, broken, age, rev, activity, phone, email, address, weighted) in _results(
        wh, months, cal.results_horizon_months
    ):
        if weighted is None or Decimal(weighted) <= 0:
            continue  # a dossier without a score card (made before this stage) cannot teach
        y = min(1.0, max(0.0, float(Decimal(recovered) / Decimal(weighted))))
        data.append((Features(int(pay), int(broken), None if age is None else int(age), int(rev),
                              str(activity), bool(phone), bool(email), bool(address)), y))
    if len(data) < cal.min_dossiers:
        return prior, len(months)
    return fit_likelihood(data, prior, strength=cal.prior_strength), len(months)


def recovery_rates(wh: Warehouse, settings: Settings, month: dt.date) -> tuple[dict[str, float] | None, int]:
    """Each agency's recovery rate (attributed within the horizon / assigned) over the months with
    results, or None while the rule is ``capacity`` or fewer than ``min_results_months`` have them."""
    perf = settings.allocation.performance
    months = result_months(wh, month, perf.results_horizon_months)
    if perf.rule == "capacity" or len(months) < perf.min_results_months:
        return None, len(months)
    assigned: dict[str, Decimal] = {}
    recovered: dict[str, Decimal] = {}
    for _, agency, total, rec, *_ in _results(wh, months, perf.results_horizon_months):
        assigned[str(agency)] = assigned.get(str(agency), Decimal(0)) + Decimal(total)
        recovered[str(agency)] = recovered.get(str(agency), Decimal(0)) + Decimal(rec)
    return {a: float(recovered[a] / assigned[a]) for a in sorted(assigned) if assigned[a] > 0}, len(months)


# --- the month ------------------------------------------------------------------------------------

def _frozen_report(wh: Warehouse, month: dt.date, seed: int) -> SelectionReport:
    run = wh.query(query("selection/select_month_summary"), [month, 1])
    if not run:
        return SelectionReport(month.isoformat(), "", seed, frozen=True)
    as_of, run_seed, n, total, _, _ = run[0]
    return SelectionReport(month.isoformat(), as_of.isoformat(), int(run_seed), selected=int(n),
                           total_due=str(Decimal(total).quantize(CENT)), frozen=True)


def select_and_allocate(wh: Warehouse, lake: Path, settings: Settings, month: dt.date, *,
                        seed: int) -> SelectionReport:
    """Select the month's dossiers and allocate them among agencies (see the module docstring).

    Deterministic for (warehouse data, lake, settings, seed); idempotent for a month.
    """
    month = first_day(month)
    warnings = check_settings(settings, month)
    rows = wh.query(query("selection/select_portfolio_date"), [month])
    if not rows or rows[0][0] is None:
        raise SelectionError(
            f"no core.debtor_portfolio on or before {month.isoformat()}: build the debtor master first"
        )
    as_of: dt.date = rows[0][0]
    existing = wh.query(query("selection/select_month_dossiers"), [month])
    if any(status != "ALLOCATED" or recalls for _, _, status, _, recalls in existing):
        log.warning("selection %s: dossiers already published, the month is left as is", month)
        return _frozen_report(wh, month, seed)
    created_at = {(str(i), int(d)): c for i, d, _, c, _ in existing}
    programme = settings.programme
    end = window_end(month, programme.assignment_window_months)

    model, results = likelihood_model(wh, settings, month)
    rates, _ = recovery_rates(wh, settings, month)
    debtors = _read_debtors(wh, settings, month, as_of, model)

    _apply_placement_rules(wh, debtors, month, end, programme.eligibility.recall_cooling_off_months,
                           max_tier=programme.eligibility.max_placement_tier)

    # Rank the eligible, then select in rank order while a feasible allocation exists.
    slots = agency_slots(settings, month)  # a retired agency takes nothing (Agency.retired_on)
    eligible = sorted((d for d in debtors if d.reason is None),
                      key=lambda d: (-d.priority, -d.score, d.debtor_id))
    unserved = sorted({d.region or "UNKNOWN" for d in eligible if not eligible_agencies(d.region, slots)})
    if unserved:
        message = (f"eligible debtors in region(s) no agency serves: {', '.join(unserved)} "
                   "(left NOT_SELECTED, NO_AGENCY_CAPACITY)")
        if settings.allocation.unserved_region == "fail":
            raise SelectionError(message + "; allocation.unserved_region is fail")
        warnings.append(message)
    chosen = _select_in_rank_order(eligible, slots, programme.dossiers_per_month)
    if len(chosen) < programme.dossiers_per_month:
        warnings.append(f"{len(chosen)} dossiers selected, below programme.dossiers_per_month "
                        f"{programme.dossiers_per_month}")

    # Amounts per month and kind from the lake, over the debtor's current affiliation numbers.
    periods, mismatches = _dossier_periods(wh, lake, as_of, chosen)
    if mismatches:
        warnings.append(f"{mismatches} selected debtor(s) owe, per the lake, other amounts than the "
                        "portfolio says: the dossiers carry the lake's (rebuild the debtor master)")

    # Allocation: shares, targets, stratified randomised split.
    share_rule = "RECOVERY_RATE" if rates else "CAPACITY"
    weights, shares = agency_shares(slots, rates, float(settings.allocation.performance.min_share),
                                    float(settings.allocation.performance.max_share))
    caps = {s.code: s.capacity for s in slots}
    targets = apportion(len(chosen), shares, caps)
    cands = score_bands([candidate(d, _total(periods[d.debtor_id])) for d in chosen],
                        settings.allocation.score_bands)
    band = {c.key: c.band for c in cands}
    result = allocate(cands, slots, targets, seed=seed,
                      tolerance=float(settings.allocation.balance_tolerance),
                      max_draws=settings.allocation.max_draws)
    if not result.balance_met and chosen:
        warnings.append(f"agency balance {result.max_deviation:.1%} above the tolerance after "
                        f"{result.draws} draws (regions and capacity do not allow better)")
    for d in chosen:
        d.band = band[d.debtor_id]

    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    tag = month.strftime("%Y%m")
    ids = {d.debtor_id: f"D{tag}-{i:06d}" for i, d in enumerate(chosen, start=1)}
    per_agency: dict[str, dict[str, Any]] = {}
    for s in slots:
        stats = result.per_agency.get(s.code, {"dossiers": 0, "mean_score": None, "mean_total_due": None})
        per_agency[s.code] = {"weight": round(weights[s.code], 4), "share": round(shares[s.code], 6),
                              "target": targets.get(s.code, 0), "recovery_rate": (rates or {}).get(s.code),
                              **stats}

    report = SelectionReport(
        month=month.isoformat(), as_of_date=as_of.isoformat(), seed=seed, considered=len(debtors),
        eligible=len(eligible), selected=len(chosen),
        total_due=str(sum((_total(periods[d.debtor_id]) for d in chosen), Decimal("0.00"))),
        likelihood_source=model.source, results_months=results, share_rule=share_rule, agencies=per_agency,
        balance_max_deviation=None if result.max_deviation is None else round(result.max_deviation, 6),
        balance_met=result.balance_met, balance_draws=result.draws, amount_mismatches=mismatches,
        warnings=warnings,
    )
    for d in debtors:
        bucket = report.excluded if d.decision == "EXCLUDED" else report.not_selected
        if d.decision != "SELECTED":
            bucket[str(d.reason)] = bucket.get(str(d.reason), 0) + 1

    with wh.transaction():
        for statement in statements("selection/delete_selection_month"):
            wh.execute(statement, [month])
        sync_agencies(wh, settings, now, month)
        _write(wh, settings, month, as_of, end, debtors, chosen, periods, ids, result.agency_of, created_at,
               now)
        _write_run(wh, month, as_of, seed, programme.dossiers_per_month, report, model, now)
    for w in warnings:
        log.warning("selection %s: %s", month, w)
    log.info(report.summary())
    return report


def candidate(d: _Debtor, total_due: Decimal) -> Candidate:
    """The selected debtor as allocation sees it (a re-placement carries the agencies it may not go to)."""
    return Candidate(d.debtor_id, d.region, d.segment, d.score, total_due, held_by=d.placement.held_by)


def _total(rows: list[tuple[str, str | None, str, Decimal]]) -> Decimal:
    return sum((r[3] for r in rows), Decimal("0.00"))


def _dossier_periods(
    wh: Warehouse, lake: Path, on: dt.date, chosen: list[_Debtor]
) -> tuple[dict[int, list[tuple[str, str | None, str, Decimal]]], int]:
    """Per selected debtor, rows (period YYYY-MM, title_id, kind, amount MAD) summed over its current
    affiliation numbers, and how many debtors' sums differ from the portfolio's."""
    ids = [d.debtor_id for d in chosen]
    pairs = [(str(a), str(d)) for d, a in wh.query(query("selection/select_debtor_affiliations"), [ids])] \
        if ids else []
    owed = outstanding_by_owner(lake, on, pairs)
    out: dict[int, list[tuple[str, str | None, str, Decimal]]] = {}
    mismatches = 0
    for d in chosen:
        by_period: dict[str, list[Any]] = {}
        for period, title_id, p, s, pen in owed.get(str(d.debtor_id), []):
            acc = by_period.setdefault(period, [None, 0, 0, 0])
            if title_id is not None and (acc[0] is None or title_id < acc[0]):
                acc[0] = title_id
            acc[1] += p
            acc[2] += s
            acc[3] += pen
        rows = []
        for period in sorted(by_period):
            title_id, *cents = by_period[period]
            for kind, i in KINDS:
                if cents[i] > 0:
                    rows.append((period, title_id, kind, centimes_to_mad(cents[i])))
        if not rows:
            raise SelectionError(f"debtor {d.debtor_id} owes nothing per the lake on {on.isoformat()} "
                                 "though the portfolio says it does: rebuild the debtor master")
        sums = tuple(sum((r[3] for r in rows if r[2] == k), Decimal("0.00")) for k, _ in KINDS)
        if sums != d.amounts:
            mismatches += 1
        out[d.debtor_id] = rows
    return out, mismatches


def sync_agencies(wh: Warehouse, settings: Settings, now: dt.datetime, on: dt.date) -> None:
    """core.dim_agency mirrors the configuration on ``on``: configured agencies upserted, active unless
    retired by then (``retired_on`` kept); agencies no longer configured kept inactive."""
    for a in settings.agencies:
        wh.execute(query("selection/upsert_dim_agency"), [
            a.code, a.name, "|".join(a.regions), a.monthly_capacity, a.commission_rate,
            settings.commission_cap(a), a.sftp_conn_id, not a.retired_by(on), a.retired_on, now,
        ])
    wh.execute(query("selection/deactivate_dim_agency"), [now, [a.code for a in settings.agencies]])


def _write(wh: Warehouse, settings: Settings, month: dt.date, on: dt.date, end: dt.date,
           debtors: list[_Debtor], chosen: list[_Debtor],
           periods: dict[int, list[tuple[str, str | None, str, Decimal]]], ids: dict[int, str],
           agency_of: dict[int, str], created_at: dict[tuple[str, int], Any], now: dt.datetime, *,
           seq: int = 1, start: dt.date | None = None) -> None:
    """Write a run's decisions, score cards, dossiers and their periods (run ``seq`` of the month, whose
    dossiers start on ``start``: the month's first day by default)."""
    import pyarrow as pa

    start = start or month
    dec = pa.decimal128(18, 2)
    due = {d.debtor_id: _total(periods[d.debtor_id]) for d in chosen}
    counts = {d.debtor_id: len({r[0] for r in periods[d.debtor_id]}) for d in chosen}
    debtors = sorted(debtors, key=lambda d: d.debtor_id)
    wh.load_arrow("core.selection_decision", pa.table({
        "selection_month": pa.array([month] * len(debtors), pa.date32()),
        "selection_seq": pa.array([seq] * len(debtors), pa.int32()),
        "debtor_id": pa.array([d.debtor_id for d in debtors], pa.int64()),
        "decision": pa.array([d.decision for d in debtors], pa.string()),
        "reason_code": pa.array([d.reason for d in debtors], pa.string()),
        "segment": pa.array([d.segment for d in debtors], pa.string()),
        "region": pa.array([d.region for d in debtors], pa.string()),
        "total_due": pa.array([due.get(d.debtor_id, d.total_open) for d in debtors], dec),
        "periods_count": pa.array([counts.get(d.debtor_id, d.unpaid_periods) for d in debtors], pa.int32()),
        "score": pa.array([d.score for d in debtors], pa.decimal128(12, 4)),
        "priority_rank": pa.array([d.rank for d in debtors], pa.int32()),
        "decided_at": pa.array([now] * len(debtors), pa.timestamp("us")),
    }))
    wh.load_arrow("core.selection_score", pa.table({
        "selection_month": pa.array([month] * len(debtors), pa.date32()),
        "selection_seq": pa.array([seq] * len(debtors), pa.int32()),
        "debtor_id": pa.array([d.debtor_id for d in debtors], pa.int64()),
        "oldest_unpaid_age_months": pa.array([d.features.age_months for d in debtors], pa.int32()),
        "payments_12m": pa.array([d.features.payments_12m for d in debtors], pa.int32()),
        "broken_plans": pa.array([d.features.broken_plans for d in debtors], pa.int32()),
        "reversals": pa.array([d.features.reversals for d in debtors], pa.int32()),
        "activity_status": pa.array([d.features.activity_status for d in debtors], pa.string()),
        "has_phone": pa.array([d.features.has_phone for d in debtors], pa.bool_()),
        "has_email": pa.array([d.features.has_email for d in debtors], pa.bool_()),
        "has_address": pa.array([d.features.has_address for d in debtors], pa.bool_()),
        "title_days_left": pa.array([d.title_days_left for d in debtors], pa.int32()),
        "weighted_due": pa.array([d.weighted for d in debtors], dec),
        "likelihood": pa.array([d.likelihood for d in debtors], pa.decimal128(9, 6)),
        "score_band": pa.array([d.band for d in debtors], pa.int32()),
    }))
    if not chosen:
        return
    agencies = {a.code: a for a in settings.agencies}
    dossier_rows: dict[str, list[Any]] = {k: [] for k in (
        "dossier_id", "assignment_month", "debtor_id", "affiliation_no", "agency_code", "segment", "region",
        "assignment_start", "assignment_end", "commission_rate", "commission_cap", "periods_count",
        "oldest_period", "newest_period", "principal_due", "surcharges_due", "penalties_due", "total_due",
        "status", "status_date", "created_at", "commission_basis", "placement_tier", "previous_dossier_id",
        "previous_agency_code", "previous_recall_reason", "previous_recovered")}
    period_rows: dict[str, list[Any]] = {k: [] for k in ("dossier_id", "period", "kind", "amount_due",
                                                          "title_id")}
    for d in chosen:
        dossier_id = ids[d.debtor_id]
        agency = agencies[agency_of[d.debtor_id]]
        rows = periods[d.debtor_id]
        sums = [sum((r[3] for r in rows if r[2] == k), Decimal("0.00")) for k, _ in KINDS]
        months = sorted({r[0] for r in rows})
        fee = agency.fee_for(d.segment, d.features.age_months, start)
        values = [dossier_id, month, d.debtor_id, d.affiliation_no, agency.code, d.segment, d.region, start,
                  end, fee.rate, settings.commission_cap(agency), len(months),
                  _month_date(months[0]), _month_date(months[-1]), *sums, sum(sums, Decimal("0.00")),
                  "ALLOCATED", start, created_at.get((dossier_id, d.debtor_id), now), fee.basis,
                  *_placement_cells(d.placement)]
        assert agency.code not in d.placement.held_by, dossier_id  # a re-placement goes to another agency
        for key, value in zip(dossier_rows, values, strict=True):
            dossier_rows[key].append(value)
        assert sum(sums, Decimal("0.00")) == due[d.debtor_id], dossier_id  # total = its periods
        for period, title_id, kind, amount in rows:
            for key, value in zip(period_rows, (dossier_id, _month_date(period), kind, amount, title_id),
                                  strict=True):
                period_rows[key].append(value)
    types = {"assignment_month": pa.date32(), "debtor_id": pa.int64(), "assignment_start": pa.date32(),
             "assignment_end": pa.date32(), "commission_rate": pa.decimal128(6, 4),
             "commission_cap": dec, "periods_count": pa.int32(), "oldest_period": pa.date32(),
             "newest_period": pa.date32(), "principal_due": dec, "surcharges_due": dec,
             "penalties_due": dec, "total_due": dec, "status_date": pa.date32(),
             "created_at": pa.timestamp("us"), "placement_tier": pa.int32(), "previous_recovered": dec}
    wh.load_arrow("core.dossier", pa.table({k: pa.array(v, types.get(k, pa.string()))
                                            for k, v in dossier_rows.items()}))
    wh.load_arrow("core.dossier_period", pa.table({
        "dossier_id": pa.array(period_rows["dossier_id"], pa.string()),
        "period": pa.array(period_rows["period"], pa.date32()),
        "kind": pa.array(period_rows["kind"], pa.string()),
        "amount_due": pa.array(period_rows["amount_due"], dec),
        "title_id": pa.array(period_rows["title_id"], pa.string()),
    }))
    # The warehouse's own sums must agree to the centime (money integrity of the package).
    bad = wh.query(query("selection/select_unbalanced_dossiers"), [month])
    if bad:
        raise SelectionError(f"dossier totals differ from their periods: {[r[0] for r in bad][:5]}")


def _placement_cells(p: Placement) -> list[Any]:
    """The dossier's placement cells: tier, previous dossier, its agency, outcome and recovered."""
    prev = p.previous
    if prev is None:
        return [p.tier, None, None, None, None]
    return [p.tier, prev.dossier_id, prev.agency_code, prev.outcome, prev.recovered]


def _month_date(period: str) -> dt.date:
    return dt.date(int(period[:4]), int(period[5:7]), 1)


def _write_run(wh: Warehouse, month: dt.date, on: dt.date, seed: int, target: int,
               report: SelectionReport, model: LikelihoodModel, now: dt.datetime, *, seq: int = 1,
               start: dt.date | None = None) -> None:
    """Record run ``seq`` of the month (its dossiers start on ``start``, the month's first day by default),
    read on the portfolio of ``on``."""
    dev = None if report.balance_max_deviation is None else Decimal(f"{report.balance_max_deviation:.6f}")
    wh.execute(
        query("selection/insert_selection_run"),
        [month, seq, start or month, on, seed, target, report.considered, report.eligible, report.selected,
         model.source,
         json.dumps(model.as_dict(), sort_keys=True), report.results_months, report.share_rule,
         json.dumps(report.agencies, sort_keys=True), dev, report.balance_met, report.balance_draws, now],
    )

"""Allocation of the month's selected dossiers among agencies: pure functions, no warehouse.

The split is a randomised stratified one (champion/challenger), so that agencies can be compared
on their results:

1. **Shares.** Each agency's weight is its ``monthly_capacity``; once enough months of results exist
   it is multiplied by the agency's recovery rate over the mean rate (:func:`agency_shares`); shares
   are bounded between ``min_share`` and ``max_share`` and turned into whole targets no agency
   exceeds its capacity with (:func:`targets`).
2. **Feasibility.** :class:`RegionFlow` admits a dossier only if the month's dossiers, region by region,
   can still be given to agencies serving their region within capacity (an exact max-flow check).
3. **Counts per stratum.** Strata are region x segment x score band; iterative proportional fitting
   spreads each stratum over the agencies serving its region so that agency totals meet the targets;
   counts are rounded (largest remainder, seeded tie-break) and capacity is repaired along
   augmenting paths (:func:`stratum_counts`).
4. **Deal.** Within a stratum, dossiers in score order are dealt to its agencies by smooth weighted
   round-robin with those counts, starting at a seeded random point of the cycle (systematic sampling
   with a random start): each agency gets a spread of the stratum's scores.
5. **Balance.** An allocation passes when each agency's mean score and mean total_due are within the
   tolerance of the month's means. A draw that does not is rebalanced by swapping dossiers of the
   same stratum between agencies (:func:`rebalance`: counts, regions and capacity unchanged); if it
   still fails, it is drawn again with the next derived seed, up to a maximum, keeping the first
   that passes or else the most balanced (:func:`allocate`).
"""

from __future__ import annotations

import hashlib
import random
from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from decimal import Decimal

UNKNOWN_REGION = "UNKNOWN"


@dataclass(frozen=True)
class AgencySlot:
    """An agency as allocation sees it: the regions it serves and its room this month."""

    code: str
    regions: frozenset[str]
    capacity: int
    serves_all: bool


@dataclass(frozen=True)
class Candidate:
    """A selected debtor to be given to an agency."""

    key: int  # debtor_id
    region: str | None
    segment: str
    score: Decimal
    total_due: Decimal
    band: int = 1  # score band, 1 = highest
    held_by: frozenset[str] = frozenset()  # agencies it may not go to (a re-placement's earlier ones)


@dataclass
class AllocationResult:
    """Agency per candidate key, and how balanced the split came out."""

    agency_of: dict[int, str]
    max_deviation: float | None
    balance_met: bool
    draws: int
    per_agency: dict[str, dict[str, float]] = field(default_factory=dict)


def eligible_agencies(region: str | None, agencies: Sequence[AgencySlot]) -> list[str]:
    """Agencies that may take a debtor of ``region``: those serving it; for an unknown region, those
    serving every region (an agency cannot be sent to a place it does not cover)."""
    if region is None or region == UNKNOWN_REGION:
        return [a.code for a in agencies if a.serves_all]
    return [a.code for a in agencies if region in a.regions]


def other_agencies(region: str | None, agencies: Sequence[AgencySlot], held_by: frozenset[str]) -> list[str]:
    """:func:`eligible_agencies` but those in ``held_by`` (a re-placed debtor goes to another agency)."""
    return [a for a in eligible_agencies(region, agencies) if a not in held_by]


def sub_seed(seed: int, *parts: object) -> int:
    """A deterministic 64-bit seed derived from a seed and labels (stable across processes)."""
    text = ":".join([str(seed), *(str(p) for p in parts)])
    return int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "big")


# --- shares and targets ---------------------------------------------------------------------------

def bounded_shares(weights: Mapping[str, float], min_share: float, max_share: float) -> dict[str, float]:
    """Weights normalised to shares, each clipped into [min_share, max_share], the rest renormalised
    among the unclipped (iterated until stable). All-zero weights give equal shares."""
    codes = sorted(weights)
    if not codes:
        return {}
    w = {c: max(0.0, float(weights[c])) for c in codes}
    if sum(w.values()) <= 0:
        w = dict.fromkeys(codes, 1.0)
    fixed: dict[str, float] = {}
    for _ in range(len(codes) + 1):
        free = [c for c in codes if c not in fixed]
        mass = 1.0 - sum(fixed.values())
        total = sum(w[c] for c in free)
        shares = {c: (mass * w[c] / total if total > 0 else mass / len(free)) for c in free} if free else {}
        low = [c for c in free if shares[c] < min_share - 1e-12]
        high = [c for c in free if shares[c] > max_share + 1e-12]
        if not low and not high:
            return {**fixed, **shares}
        for c in low:
            fixed[c] = min_share
        for c in high:
            fixed[c] = max_share
    return {c: fixed.get(c, 0.0) for c in codes}


def agency_shares(
    agencies: Sequence[AgencySlot], recovery_rates: Mapping[str, float] | None,
    min_share: float, max_share: float,
) -> tuple[dict[str, float], dict[str, float]]:
    """(weights, shares): weight = capacity, times rate / mean rate when recovery rates are given
    (an agency without results yet counts at the mean rate)."""
    weights = {a.code: float(a.capacity) for a in agencies}
    if recovery_rates:
        known = [r for c, r in recovery_rates.items() if c in weights]
        mean = sum(known) / len(known) if known else 0.0
        if mean > 0:
            weights = {c: w * recovery_rates.get(c, mean) / mean for c, w in weights.items()}
    return weights, bounded_shares(weights, min_share, max_share)


def apportion(
    total: int, weights: Mapping[str, float], caps: Mapping[str, int] | None = None
) -> dict[str, int]:
    """``total`` split in whole numbers proportionally to ``weights`` (largest remainder, ties by
    code), none above its cap; what a capped agency cannot take goes to the others."""
    codes = sorted(weights)
    out = dict.fromkeys(codes, 0)
    open_codes = list(codes)
    remaining = total
    while remaining > 0 and open_codes:
        wsum = sum(max(weights[c], 0.0) for c in open_codes)
        raw = {c: (remaining * max(weights[c], 0.0) / wsum if wsum > 0 else remaining / len(open_codes))
               for c in open_codes}
        part = {c: int(raw[c]) for c in open_codes}
        left = remaining - sum(part.values())
        for c in sorted(open_codes, key=lambda c: (-(raw[c] - part[c]), c))[:left]:
            part[c] += 1
        capped = False
        for c in open_codes:
            room = (caps[c] - out[c]) if caps is not None else part[c]
            give = min(part[c], room)
            out[c] += give
            remaining -= give
            if caps is not None and out[c] >= caps[c]:
                capped = True
        open_codes = [c for c in open_codes if caps is None or out[c] < caps[c]]
        if not capped:
            break
    return out


# --- feasibility: region demand against agency capacity -------------------------------------------

class RegionFlow:
    """Dossiers per region routed to agencies serving it within capacity (max-flow, augmenting paths).

    :meth:`add` admits one more dossier of a region when some assignment of all admitted dossiers
    still fits, re-routing earlier ones if need be; it is exact, so a refusal means no allocation
    could take it.
    """

    def __init__(self, agencies: Sequence[AgencySlot]) -> None:
        self.agencies = {a.code: a for a in agencies}
        self.used = {a.code: 0 for a in agencies}
        # Demand classes: (region, agencies excluded), so a re-placed debtor only flows to other agencies.
        self.flow: dict[tuple[tuple[str, frozenset[str]], str], int] = {}
        self._eligible: dict[tuple[str, frozenset[str]], list[str]] = {}

    def _serving(self, key: tuple[str, frozenset[str]]) -> list[str]:
        if key not in self._eligible:
            self._eligible[key] = other_agencies(key[0], list(self.agencies.values()), key[1])
        return self._eligible[key]

    def add(self, region: str | None, held_by: frozenset[str] = frozenset()) -> bool:
        """Admit one more dossier of ``region`` (not for the agencies of ``held_by``) if all still fit."""
        start = (region or UNKNOWN_REGION, held_by)
        # BFS over agencies: from a region to the agencies serving it; from a full agency back to the
        # regions routed through it, which may move to another agency.
        # agency -> (region whose dossier it takes, agency that dossier comes from)
        parent: dict[str, tuple[tuple[str, frozenset[str]], str | None]] = {}
        queue: deque[tuple[str, str | None]] = deque((a, None) for a in self._serving(start))
        for a, _ in list(queue):
            parent.setdefault(a, (start, None))
        while queue:
            agency, _ = queue.popleft()
            if self.used[agency] < self.agencies[agency].capacity:
                # Augment: walk back, moving one dossier of each region along the path.
                self.used[agency] += 1
                cur: str | None = agency
                while cur is not None:
                    reg, prev = parent[cur]
                    self.flow[(reg, cur)] = self.flow.get((reg, cur), 0) + 1
                    if prev is not None:
                        self.flow[(reg, prev)] -= 1
                    cur = prev
                return True
            for (reg, via), n in list(self.flow.items()):
                if via != agency or n <= 0:
                    continue
                for nxt in self._serving(reg):
                    if nxt not in parent:
                        parent[nxt] = (reg, agency)
                        queue.append((nxt, agency))
        return False


# --- counts per stratum ---------------------------------------------------------------------------

def _ipf(rows: Sequence[int], eligible: Sequence[Sequence[str]], targets: Mapping[str, float],
         iterations: int = 200) -> list[dict[str, float]]:
    """Iterative proportional fitting: a rows x agencies matrix, zero where an agency is not
    eligible, with row sums = stratum sizes and column sums as close to the targets as regions allow."""
    m = [{a: max(targets.get(a, 0.0), 1e-9) for a in el} for el in eligible]
    for _ in range(iterations):
        for i, row in enumerate(m):
            s = sum(row.values())
            if s > 0:
                for a in row:
                    row[a] *= rows[i] / s
        cols: dict[str, float] = {}
        for row in m:
            for a, v in row.items():
                cols[a] = cols.get(a, 0.0) + v
        worst = 0.0
        for row in m:
            for a in row:
                if cols[a] > 0:
                    row[a] *= targets.get(a, 0.0) / cols[a] if targets.get(a, 0.0) > 0 else 1e-9
        for a, c in cols.items():
            worst = max(worst, abs(c - targets.get(a, 0.0)))
        if worst < 1e-6:
            break
    for i, row in enumerate(m):  # end on exact row sums
        s = sum(row.values())
        for a in row:
            row[a] = row[a] * rows[i] / s if s > 0 else rows[i] / len(row)
    return m


def _repair(counts: list[dict[str, int]], eligible: Sequence[Sequence[str]],
            caps: Mapping[str, int]) -> None:
    """Move dossiers off agencies above a limit (a target or the capacity) along augmenting paths,
    stratum by stratum; ValueError when no allocation within the limits exists."""
    def total(a: str) -> int:
        return sum(row.get(a, 0) for row in counts)

    for over in sorted(caps):
        while total(over) > caps[over]:
            # BFS: agency -> stratum where it holds a dossier -> another agency eligible there.
            parent: dict[str, tuple[int, str]] = {}
            queue = deque([over])
            seen = {over}
            found: str | None = None
            while queue and found is None:
                a = queue.popleft()
                for i, row in enumerate(counts):
                    if row.get(a, 0) <= 0:
                        continue
                    for b in eligible[i]:
                        if b in seen:
                            continue
                        seen.add(b)
                        parent[b] = (i, a)
                        if total(b) < caps[b]:
                            found = b
                            break
                        queue.append(b)
                    if found:
                        break
            if found is None:
                raise ValueError(f"agency {over}: no allocation within capacity exists")
            cur = found
            while cur != over:
                i, prev = parent[cur]
                counts[i][prev] -= 1
                counts[i][cur] = counts[i].get(cur, 0) + 1
                cur = prev


def stratum_counts(
    sizes: Sequence[int], eligible: Sequence[Sequence[str]], targets: Mapping[str, int],
    caps: Mapping[str, int], rng: random.Random,
) -> list[dict[str, int]]:
    """How many dossiers of each stratum each eligible agency takes: proportional fitting to the
    agencies' targets, whole numbers by largest remainder (seeded tie-break), capacity repaired."""
    fitted = _ipf(sizes, eligible, {a: float(t) for a, t in targets.items()})
    counts: list[dict[str, int]] = []
    for i, row in enumerate(fitted):
        whole = {a: int(v) for a, v in row.items()}
        left = sizes[i] - sum(whole.values())
        order = sorted(row, key=lambda a: (-(row[a] - whole[a]), rng.random()))
        for a in order[:left]:
            whole[a] += 1
        counts.append(whole)
    try:  # rounding stratum by stratum drifts from the targets: bring the totals back to them
        _repair(counts, eligible, targets)
    except ValueError:  # regions do not allow the targets exactly: capacity is what must hold
        pass
    _repair(counts, eligible, caps)
    return counts


def deal_sequence(counts: Mapping[str, int], rng: random.Random) -> list[str]:
    """Agency labels for a stratum's dossiers in score order: smooth weighted round-robin with the
    counts as weights (each agency exactly its count, spread evenly), seeded tie-break, started at a
    seeded random point of the cycle."""
    codes = [a for a in sorted(counts) if counts[a] > 0]
    rng.shuffle(codes)
    rank = {a: i for i, a in enumerate(codes)}
    total = sum(counts[a] for a in codes)
    current = dict.fromkeys(codes, 0)
    seq: list[str] = []
    for _ in range(total):
        for a in codes:
            current[a] += counts[a]
        best = max(codes, key=lambda a: (current[a], -rank[a]))
        current[best] -= total
        seq.append(best)
    if total:
        k = rng.randrange(total)
        seq = seq[k:] + seq[:k]
    return seq


# --- the whole split ------------------------------------------------------------------------------

def balance(
    candidates: Sequence[Candidate], agency_of: Mapping[int, str]
) -> tuple[float | None, dict[str, dict[str, float]]]:
    """Largest relative gap of an agency's mean score or mean total_due to the month's mean, and
    per-agency figures (dossiers, mean_score, mean_total_due)."""
    if not candidates:
        return None, {}
    all_score = sum(float(c.score) for c in candidates) / len(candidates)
    all_due = sum(float(c.total_due) for c in candidates) / len(candidates)
    groups: dict[str, list[Candidate]] = {}
    for c in candidates:
        groups.setdefault(agency_of[c.key], []).append(c)
    per: dict[str, dict[str, float]] = {}
    worst = 0.0
    for code, members in sorted(groups.items()):
        ms = sum(float(c.score) for c in members) / len(members)
        md = sum(float(c.total_due) for c in members) / len(members)
        per[code] = {"dossiers": len(members), "mean_score": round(ms, 2), "mean_total_due": round(md, 2)}
        if all_score > 0:
            worst = max(worst, abs(ms / all_score - 1))
        if all_due > 0:
            worst = max(worst, abs(md / all_due - 1))
    return worst, per


def score_bands(candidates: Sequence[Candidate], bands: int) -> list[Candidate]:
    """The candidates with their score band (1 = highest), by quantile of rank among them."""
    ordered = sorted(candidates, key=lambda c: (-c.score, c.key))
    n = len(ordered)
    out = []
    for i, c in enumerate(ordered):
        band = 1 + (i * bands) // n if n else 1
        out.append(Candidate(c.key, c.region, c.segment, c.score, c.total_due, band, c.held_by))
    return out


def rebalance(members: Sequence[Sequence[Candidate]], agency_of: dict[int, str], tolerance: float,
              max_swaps: int = 5000) -> None:
    """Swap dossiers of the same stratum between agencies while an agency's mean score or mean
    total_due is beyond ``tolerance`` of the month's: each swap is the one that most reduces the sum
    of squared relative gaps. Counts per agency and stratum, regions and capacity are unchanged, so
    the split stays stratified; only a few dossiers move, and only when the draw is unbalanced
    (a heavy-tailed month, where one large dossier would tilt an agency's mean)."""
    everyone = [c for group in members for c in group]
    if not everyone:
        return
    mean_s = sum(float(c.score) for c in everyone) / len(everyone)
    mean_d = sum(float(c.total_due) for c in everyone) / len(everyone)
    if mean_s <= 0 or mean_d <= 0:
        return
    n: dict[str, int] = {}
    ss: dict[str, float] = {}
    dd: dict[str, float] = {}
    for c in everyone:
        a = agency_of[c.key]
        n[a] = n.get(a, 0) + 1
        ss[a] = ss.get(a, 0.0) + float(c.score)
        dd[a] = dd.get(a, 0.0) + float(c.total_due)

    def cost(a: str, s_sum: float, d_sum: float) -> float:
        return (s_sum / n[a] / mean_s - 1) ** 2 + (d_sum / n[a] / mean_d - 1) ** 2

    def worst() -> float:
        return max(max(abs(ss[a] / n[a] / mean_s - 1), abs(dd[a] / n[a] / mean_d - 1)) for a in n)

    goal = tolerance / 2  # aim inside the tolerance, not at its edge
    for _ in range(max_swaps):
        if worst() <= goal:
            return
        best: tuple[float, Candidate, Candidate] | None = None
        for group in members:
            for i, x in enumerate(group):
                ax = agency_of[x.key]
                for y in group[i + 1:]:
                    ay = agency_of[y.key]
                    if ax == ay:
                        continue
                    ds, dd_ = float(y.score - x.score), float(y.total_due - x.total_due)
                    before = cost(ax, ss[ax], dd[ax]) + cost(ay, ss[ay], dd[ay])
                    after = cost(ax, ss[ax] + ds, dd[ax] + dd_) + cost(ay, ss[ay] - ds, dd[ay] - dd_)
                    gain = before - after
                    if gain > 1e-12 and (best is None or gain > best[0]):
                        best = (gain, x, y)
        if best is None:
            return
        _, x, y = best
        ax, ay = agency_of[x.key], agency_of[y.key]
        ds, dd_ = float(y.score - x.score), float(y.total_due - x.total_due)
        ss[ax] += ds
        dd[ax] += dd_
        ss[ay] -= ds
        dd[ay] -= dd_
        agency_of[x.key], agency_of[y.key] = ay, ax


def allocate(
    candidates: Sequence[Candidate], agencies: Sequence[AgencySlot], targets: Mapping[str, int], *,
    seed: int, tolerance: float, max_draws: int,
) -> AllocationResult:
    """Give every candidate an agency serving its region, within capacity, split by stratum; when a
    draw is unbalanced, rebalance it by swaps within strata, and if still beyond ``tolerance`` draw
    again (derived seeds), keeping the first balanced draw or else the most balanced. Candidates
    must carry their score band and be allocatable (admitted by :class:`RegionFlow`)."""
    caps = {a.code: a.capacity for a in agencies}
    # A re-placed debtor's stratum also carries the agencies it may not go to (empty for first placements).
    strata: dict[tuple[str, str, int, tuple[str, ...]], list[Candidate]] = {}
    for c in candidates:
        strata.setdefault((c.region or UNKNOWN_REGION, c.segment, c.band, tuple(sorted(c.held_by))),
                          []).append(c)
    keys = sorted(strata)
    members = [sorted(strata[k], key=lambda c: (-c.score, c.key)) for k in keys]
    eligible = [other_agencies(k[0], agencies, frozenset(k[3])) for k in keys]
    for k, el in zip(keys, eligible, strict=True):
        if not el:
            but = f" but {', '.join(k[3])}" if k[3] else ""
            raise ValueError(f"no agency serves region {k[0]}{but}: such debtors cannot be allocated")
    best: AllocationResult | None = None
    for draw in range(max_draws):
        rng = random.Random(sub_seed(seed, "allocate", draw))
        counts = stratum_counts([len(m) for m in members], eligible, targets, caps, rng)
        agency_of: dict[int, str] = {}
        for row, group in zip(counts, members, strict=True):
            for c, code in zip(group, deal_sequence(row, rng), strict=True):
                agency_of[c.key] = code
        dev, _ = balance(candidates, agency_of)
        if dev is not None and dev > tolerance:
            rebalance(members, agency_of, tolerance)
        dev, per = balance(candidates, agency_of)
        met = dev is None or dev <= tolerance
        result = AllocationResult(agency_of, dev, met, draw + 1, per)
        if best is None or (dev is not None and best.max_deviation is not None and dev < best.max_deviation):
            best = result
        if met:
            return result
    assert best is not None
    best.draws = max_draws
    best.balance_met = False
    return best

"""Agency effects with confidence: does one agency truly recover more than the others?

The allocation is randomised within strata (placement month x region x segment x score band,
:mod:`recouvra.selection.allocation`), so within a stratum an agency's dossiers and the other agencies'
are alike but for the agency that works them. This module uses that design, as a champion/challenger
programme would:

* **Comparable dossiers.** For one agency, one vintage (a placement month, or all of them) and a number
  of months on book ``m`` (0 = the end of the placement month), the dossiers of the strata where both
  the agency and at least one other agency have dossiers (common support); the rest are left out and
  counted.
* **Rates.** The agency's recovery rate is what was attributed to its comparable dossiers by ``m``
  months on book over what they were assigned. The pool's rate is the other agencies' rate,
  *standardised* to the agency's mix: each stratum's rate of the others weighted by the agency's
  assigned amount in that stratum. So an agency handed more promising strata is not credited for them.
* **Effect** = agency rate - pool rate (a fraction; 0.021 = 2.1 points of recovery).
* **Confidence.** A stratified bootstrap over dossiers: within each stratum, the agency's dossiers and
  the others' are resampled with replacement (``reps`` times, 2,000 by default) and the effect
  recomputed; the interval is the percentile interval at ``level`` (95 %). The difference is
  *significant* when the interval excludes 0. With fewer than ``min_dossiers`` comparable dossiers on
  either side nothing is claimed (``significant`` is empty).
* **Reproducible.** The bootstrap's generator is seeded from the month, agency, vintage and months on
  book: a re-run writes the same numbers.

Inputs are the dossier positions of ``marts.fact_dossier_month`` (attributed to date at each month
end since placement) and the score band of ``core.selection_score``; the result is
``marts.kpi_agency_effect`` (BI view ``marts.v_agency_effect``, docs/kpi.md "Agency effects").
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass, replace
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

import numpy as np

from recouvra.calendar import require_month
from recouvra.sqlfiles import query

if TYPE_CHECKING:
    import datetime as dt
    from collections.abc import Iterable, Sequence

    from recouvra.warehouse import Warehouse

ALL_VINTAGES = "ALL"
DEFAULT_REPS = 2000
DEFAULT_LEVEL = 0.95
DEFAULT_MIN_DOSSIERS = 20
RATE_QUANTUM = Decimal("0.000001")

EFFECT_COLUMNS: tuple[str, ...] = (
    "as_of_month",
    "agency_code",
    "vintage",
    "months_on_book",
    "dossiers_count",
    "pool_dossiers_count",
    "strata_count",
    "dossiers_left_out",
    "assigned_amount",
    "recovered_amount",
    "agency_rate",
    "pool_rate",
    "effect",
    "ci_low",
    "ci_high",
    "significant",
    "finding",
    "computed_at",
)


@dataclass(frozen=True)
class Position:
    """One dossier at ``months_on_book`` months after its placement month's end."""

    dossier_id: str
    agency_code: str
    placement_month: dt.date
    stratum: tuple[Any, ...]  # (region, segment, score band); the placement month is added
    months_on_book: int
    assigned: float
    recovered: float


@dataclass(frozen=True)
class Effect:
    """The comparison of one agency with the pool for one vintage and months on book."""

    agency_code: str
    vintage: str
    months_on_book: int
    dossiers_count: int
    pool_dossiers_count: int
    strata_count: int
    dossiers_left_out: int
    assigned_amount: float
    recovered_amount: float
    agency_rate: float | None
    pool_rate: float | None
    effect: float | None
    ci_low: float | None
    ci_high: float | None
    significant: bool | None

    @property
    def finding(self) -> str:
        """The result in one plain sentence."""
        if self.effect is None or self.ci_low is None or self.ci_high is None:
            return (
                f"{self.agency_code}: too few comparable dossiers to say ({self.dossiers_count} of the "
                f"agency's, {self.pool_dossiers_count} of the others')"
            )
        points = abs(self.effect) * 100
        way = "more" if self.effect > 0 else "less"
        interval = f"95% CI {self.ci_low * 100:+.1f} to {self.ci_high * 100:+.1f} points"
        if self.significant:
            verdict = "significant"
        else:
            verdict = "not significant: the difference may be chance"
        return (
            f"{self.agency_code} recovered {points:.1f} points {way} than the other agencies on comparable "
            f"dossiers ({interval}): {verdict}"
        )


def _seed(*parts: object) -> int:
    digest = hashlib.sha256("|".join(str(p) for p in parts).encode()).digest()
    return int.from_bytes(digest[:8], "big")


def _sums(rng: np.random.Generator, y: np.ndarray, w: np.ndarray, reps: int) -> tuple[np.ndarray, np.ndarray]:
    """Bootstrap totals of recovered and assigned: ``reps`` resamples of the dossiers, with replacement."""
    idx = rng.integers(0, len(y), size=(reps, len(y)))
    return y[idx].sum(axis=1), w[idx].sum(axis=1)


def compare(
    positions: Sequence[Position],
    agency: str,
    vintage: str,
    months_on_book: int,
    *,
    reps: int = DEFAULT_REPS,
    level: float = DEFAULT_LEVEL,
    min_dossiers: int = DEFAULT_MIN_DOSSIERS,
    seed: int = 0,
) -> Effect:
    """Pure: the agency against the pool on ``positions`` (one vintage scope, one months on book)."""
    strata: dict[tuple[Any, ...], tuple[list[Position], list[Position]]] = defaultdict(lambda: ([], []))
    for p in positions:
        strata[(p.placement_month, *p.stratum)][0 if p.agency_code == agency else 1].append(p)
    common = {k: v for k, v in strata.items() if v[0] and v[1]}
    mine_all = sum(len(v[0]) for v in strata.values())
    n_a = sum(len(v[0]) for v in common.values())
    n_o = sum(len(v[1]) for v in common.values())
    arrays = [
        tuple(
            np.array([getattr(p, f) for p in side], dtype=float)
            for side in sides
            for f in ("recovered", "assigned")
        )
        for sides in common.values()
    ]
    assigned = float(sum(a[1].sum() for a in arrays))
    recovered = float(sum(a[0].sum() for a in arrays))
    empty = Effect(
        agency_code=agency, vintage=vintage, months_on_book=months_on_book, dossiers_count=n_a,
        pool_dossiers_count=n_o, strata_count=len(common), dossiers_left_out=mine_all - n_a,
        assigned_amount=assigned, recovered_amount=recovered, agency_rate=None, pool_rate=None, effect=None,
        ci_low=None, ci_high=None, significant=None,
    )
    if not arrays or assigned <= 0:
        return empty
    weights = np.array([a[1].sum() for a in arrays]) / assigned  # the agency's mix over the strata
    pool_rates = np.array([a[2].sum() / a[3].sum() if a[3].sum() > 0 else 0.0 for a in arrays])
    agency_rate = recovered / assigned
    pool_rate = float(weights @ pool_rates)
    if n_a < min_dossiers or n_o < min_dossiers:  # rates shown, nothing claimed
        return replace(empty, agency_rate=agency_rate, pool_rate=pool_rate)
    rng = np.random.default_rng(seed)
    ya, wa = np.zeros(reps), np.zeros(reps)
    rates_o = np.zeros((len(arrays), reps))
    for i, (y_a, w_a, y_o, w_o) in enumerate(arrays):
        sy, sw = _sums(rng, y_a, w_a, reps)
        ya += sy
        wa += sw
        oy, ow = _sums(rng, y_o, w_o, reps)
        rates_o[i] = np.divide(oy, ow, out=np.zeros(reps), where=ow > 0)
    boot = np.divide(ya, wa, out=np.zeros(reps), where=wa > 0) - weights @ rates_o
    tail = (1 - level) / 2
    low, high = (float(x) for x in np.quantile(boot, [tail, 1 - tail]))
    return replace(
        empty, agency_rate=agency_rate, pool_rate=pool_rate, effect=agency_rate - pool_rate, ci_low=low,
        ci_high=high, significant=not (low <= 0 <= high),
    )


def agency_effects(
    positions: Iterable[Position],
    as_of: dt.date,
    *,
    reps: int = DEFAULT_REPS,
    level: float = DEFAULT_LEVEL,
    min_dossiers: int = DEFAULT_MIN_DOSSIERS,
) -> list[Effect]:
    """Pure: every agency against the pool, for each vintage and for all vintages together, at each
    number of months on book the positions reach."""
    by_scope: dict[tuple[str, int], list[Position]] = defaultdict(list)
    for p in positions:
        by_scope[(f"{p.placement_month:%Y-%m}", p.months_on_book)].append(p)
        by_scope[(ALL_VINTAGES, p.months_on_book)].append(p)
    out: list[Effect] = []
    for (vintage, m), rows in sorted(by_scope.items()):
        for agency in sorted({p.agency_code for p in rows}):
            out.append(
                compare(
                    rows,
                    agency,
                    vintage,
                    m,
                    reps=reps,
                    level=level,
                    min_dossiers=min_dossiers,
                    seed=_seed(as_of.isoformat(), agency, vintage, m),
                )
            )
    return out


def read_positions(wh: Warehouse, month: dt.date) -> list[Position]:
    """The dossier positions of ``marts.fact_dossier_month`` at every month end up to ``month``."""
    return [
        Position(str(d), str(a), p, (str(r), str(s), int(b)), int(m), float(w), float(y))
        for d, a, p, r, s, b, m, w, y in wh.query(query("kpi/select_effect_positions"), [month])
    ]


def _dec(value: float | None, quantum: Decimal = RATE_QUANTUM) -> Decimal | None:
    return None if value is None else Decimal(repr(value)).quantize(quantum, rounding=ROUND_HALF_UP)


def effect_records(
    effects: Iterable[Effect], month: dt.date, computed_at: dt.datetime
) -> list[dict[str, Any]]:
    """Mart rows (:data:`EFFECT_COLUMNS`) of ``effects`` stated at the end of ``month``."""
    cent = Decimal("0.01")
    return [
        {
            "as_of_month": month,
            "agency_code": e.agency_code,
            "vintage": e.vintage,
            "months_on_book": e.months_on_book,
            "dossiers_count": e.dossiers_count,
            "pool_dossiers_count": e.pool_dossiers_count,
            "strata_count": e.strata_count,
            "dossiers_left_out": e.dossiers_left_out,
            "assigned_amount": _dec(e.assigned_amount, cent),
            "recovered_amount": _dec(e.recovered_amount, cent),
            "agency_rate": _dec(e.agency_rate),
            "pool_rate": _dec(e.pool_rate),
            "effect": _dec(e.effect),
            "ci_low": _dec(e.ci_low),
            "ci_high": _dec(e.ci_high),
            "significant": e.significant,
            "finding": e.finding,
            "computed_at": computed_at,
        }
        for e in effects
    ]


def load_agency_effects(wh: Warehouse, month: dt.date, computed_at: dt.datetime, **options: Any) -> int:
    """Replace ``marts.kpi_agency_effect`` of ``month`` (inside the caller's transaction); rows written."""
    import pyarrow as pa

    require_month(month)
    wh.execute(query("kpi/delete_agency_effect"), [month])
    records = effect_records(agency_effects(read_positions(wh, month), month, **options), month, computed_at)
    if not records:
        return 0
    rate, money = pa.decimal128(9, 6), pa.decimal128(18, 2)
    types = {
        "as_of_month": pa.date32(),
        "months_on_book": pa.int32(),
        "dossiers_count": pa.int32(),
        "pool_dossiers_count": pa.int32(),
        "strata_count": pa.int32(),
        "dossiers_left_out": pa.int32(),
        "assigned_amount": money,
        "recovered_amount": money,
        "agency_rate": rate,
        "pool_rate": rate,
        "effect": rate,
        "ci_low": rate,
        "ci_high": rate,
        "significant": pa.bool_(),
        "computed_at": pa.timestamp("us"),
    }
    wh.load_arrow(
        "marts.kpi_agency_effect",
        pa.table({c: pa.array([r[c] for r in records], types.get(c, pa.string())) for c in EFFECT_COLUMNS}),
    )
    return len(records)

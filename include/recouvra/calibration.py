"""Calibration of the expected-recovery score: what the score cards predicted against what was recovered.

Each selected debtor's score card (``core.selection_score``) holds the likelihood of recovery the model
of its month gave (the configured prior, or the prior refitted on the programme's own results once
enough vintages have outcomes: :func:`recouvra.selection.monthly.likelihood_model`) and the
kind-weighted amount it applies to. Once a vintage's results horizon has passed (3 months by default,
``selection.calibration.results_horizon_months``), its dossiers say how good those predictions were:

* dossiers are ranked by predicted likelihood and cut into ten deciles (1 = the highest predicted);
* per decile, **predicted** = the sum of likelihood x weighted amount (the score), **observed** = the
  amount attributed within the horizon, and both as rates of the weighted amount.

A calibrated score has observed close to predicted in every decile and observed falling from decile 1
to 10 (it ranks). The table ``marts.kpi_score_calibration`` holds it per month end, with the model
the latest selection used and the month the model was last fitted; the monthly report shows it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

from recouvra.calendar import month_end, require_month
from recouvra.sqlfiles import query

if TYPE_CHECKING:
    from collections.abc import Sequence

    from recouvra.warehouse import Warehouse

DECILES = 10
DEFAULT_HORIZON_MONTHS = 3
CENT = Decimal("0.01")
RATE_QUANTUM = Decimal("0.000001")

CALIBRATION_COLUMNS: tuple[str, ...] = (
    "as_of_month", "decile", "dossiers_count", "weighted_due", "predicted_amount", "observed_amount",
    "predicted_rate", "observed_rate", "mean_likelihood", "horizon_months", "vintages_count",
    "model_source", "fitted_month", "computed_at",
)


@dataclass(frozen=True)
class Outcome:
    """One dossier whose results are in: its predicted likelihood and what it recovered in the horizon."""

    dossier_id: str
    placement_month: dt.date
    likelihood: Decimal
    weighted_due: Decimal
    recovered: Decimal


@dataclass(frozen=True)
class Decile:
    """Predicted against observed over one tenth of the dossiers, ranked by likelihood."""

    decile: int
    dossiers_count: int
    weighted_due: Decimal
    predicted_amount: Decimal
    observed_amount: Decimal
    mean_likelihood: Decimal

    @property
    def predicted_rate(self) -> Decimal | None:
        return _rate(self.predicted_amount, self.weighted_due)

    @property
    def observed_rate(self) -> Decimal | None:
        return _rate(self.observed_amount, self.weighted_due)


def _rate(numerator: Decimal, denominator: Decimal) -> Decimal | None:
    if denominator <= 0:
        return None
    return (numerator / denominator).quantize(RATE_QUANTUM, rounding=ROUND_HALF_UP)


def deciles(outcomes: Sequence[Outcome], n: int = DECILES) -> list[Decile]:
    """Pure: the outcomes ranked by likelihood (highest first; ties by dossier id) and cut into ``n``
    groups as equal as can be (the first ones one larger), each summed."""
    ranked = sorted(outcomes, key=lambda o: (-o.likelihood, o.dossier_id))
    out: list[Decile] = []
    size, extra = divmod(len(ranked), n)
    start = 0
    for k in range(n):
        stop = start + size + (1 if k < extra else 0)
        group = ranked[start:stop]
        start = stop
        if not group:
            continue
        weighted = sum((o.weighted_due for o in group), Decimal(0))
        predicted = sum((o.likelihood * o.weighted_due for o in group), Decimal(0))
        mean = sum((o.likelihood for o in group), Decimal(0)) / len(group)
        out.append(Decile(
            k + 1, len(group), weighted.quantize(CENT), predicted.quantize(CENT, rounding=ROUND_HALF_UP),
            sum((o.recovered for o in group), Decimal(0)).quantize(CENT),
            mean.quantize(RATE_QUANTUM, rounding=ROUND_HALF_UP),
        ))
    return out


def model_in_use(runs: Sequence[tuple[Any, ...]]) -> tuple[str | None, dt.date | None]:
    """Pure: the likelihood source of the latest run and the month of the latest CALIBRATED run, from
    ``(selection_month, selection_seq, likelihood_source, results_months)`` rows in order."""
    source: str | None = None
    fitted: dt.date | None = None
    for month, _, src, _ in runs:
        source = str(src)
        if source == "CALIBRATED":
            fitted = month if isinstance(month, dt.date) else dt.date.fromisoformat(str(month))
    return source, fitted


def read_outcomes(wh: Warehouse, month: dt.date, horizon_months: int) -> list[Outcome]:
    """Dossiers whose ``horizon_months`` have passed by the end of ``month``, with their predictions."""
    end = month_end(month)
    return [
        Outcome(str(d), p if isinstance(p, dt.date) else dt.date.fromisoformat(str(p)), Decimal(lk),
                Decimal(w), Decimal(r))
        for d, p, lk, w, r in wh.query(query("kpi/select_calibration_dossiers"),
                                       [horizon_months, horizon_months, end])
    ]


def load_score_calibration(
    wh: Warehouse, month: dt.date, computed_at: dt.datetime, *,
    horizon_months: int = DEFAULT_HORIZON_MONTHS,
) -> int:
    """Replace ``marts.kpi_score_calibration`` of ``month`` (inside the caller's transaction); rows written
    (none while no vintage has outcomes)."""
    import pyarrow as pa

    require_month(month)
    if horizon_months < 1:
        raise ValueError(f"horizon_months must be 1 or more, not {horizon_months}")
    wh.execute(query("kpi/delete_score_calibration"), [month])
    outcomes = read_outcomes(wh, month, horizon_months)
    groups = deciles(outcomes)
    if not groups:
        return 0
    source, fitted = model_in_use(wh.query(query("kpi/select_likelihood_runs"), [month]))
    vintages = len({o.placement_month for o in outcomes})
    n = len(groups)
    money, rate = pa.decimal128(18, 2), pa.decimal128(9, 6)
    wh.load_arrow("marts.kpi_score_calibration", pa.table({
        "as_of_month": pa.array([month] * n, pa.date32()),
        "decile": pa.array([g.decile for g in groups], pa.int32()),
        "dossiers_count": pa.array([g.dossiers_count for g in groups], pa.int32()),
        "weighted_due": pa.array([g.weighted_due for g in groups], money),
        "predicted_amount": pa.array([g.predicted_amount for g in groups], money),
        "observed_amount": pa.array([g.observed_amount for g in groups], money),
        "predicted_rate": pa.array([g.predicted_rate for g in groups], rate),
        "observed_rate": pa.array([g.observed_rate for g in groups], rate),
        "mean_likelihood": pa.array([g.mean_likelihood for g in groups], rate),
        "horizon_months": pa.array([horizon_months] * n, pa.int32()),
        "vintages_count": pa.array([vintages] * n, pa.int32()),
        "model_source": pa.array([source] * n, pa.string()),
        "fitted_month": pa.array([fitted] * n, pa.date32()),
        "computed_at": pa.array([computed_at] * n, pa.timestamp("us")),
    }))
    return n

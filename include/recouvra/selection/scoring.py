"""The transparent score of the monthly selection: expected recoverable amount.

``score = weighted_due x likelihood`` where

* ``weighted_due = principal x w_p + surcharges x w_s + penalties x w_pen`` (``selection.kind_weights``,
  1.0 / 0.6 / 0.3 by default: surcharges and penalties are often remitted under payment facilities);
* ``likelihood = 1 / (1 + exp(-z))``, ``z = intercept + sum(coefficient x feature)`` over the
  features of :data:`FEATURES`, each scaled to a small range so that a coefficient reads as "the
  change of the log-odds from none to a lot".

The coefficients come from the configuration (the prior) until past dossiers have results: then
:func:`fit_likelihood` fits them to the share of each dossier's weighted amount that was recovered
within the results horizon (fractional logistic regression, Newton steps, with a ridge pull towards
the prior so that a few months of data move it only as far as they justify).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from recouvra.config import KindWeights, LikelihoodPrior

#: Feature names, in the order of the coefficient vector (the intercept is first, separately).
FEATURES: tuple[str, ...] = (
    "payments_12m", "broken_plans", "age_years", "reversals", "contact",
    "ceased", "suspended", "unknown_activity", "insolvent",
)
_PHONE = re.compile(r"^\+212[5-7]\d{8}$")
_EMAIL = re.compile(r"^[^@\s;]+@[^@\s;]+\.[A-Za-z]{2,}$")
CENT = Decimal("0.01")
SCORE_QUANTUM = Decimal("0.0001")
LIKELIHOOD_QUANTUM = Decimal("0.000001")


@dataclass(frozen=True)
class Features:
    """What the likelihood reads about a debtor (raw values, as stored in core.selection_score)."""

    payments_12m: int
    broken_plans: int
    age_months: int | None
    reversals: int
    activity_status: str
    has_phone: bool
    has_email: bool
    has_address: bool

    def vector(self) -> list[float]:
        """The scaled feature values, in :data:`FEATURES` order."""
        age = 0 if self.age_months is None else max(0, self.age_months)
        status = self.activity_status
        return [
            min(self.payments_12m, 12) / 12,
            float(min(self.broken_plans, 3)),
            min(age, 60) / 12,
            float(min(self.reversals, 3)),
            (int(self.has_phone) + int(self.has_email) + int(self.has_address)) / 3,
            1.0 if status == "CEASED" else 0.0,
            1.0 if status == "SUSPENDED" else 0.0,
            1.0 if status == "UNKNOWN" else 0.0,
            1.0 if status in {"INSOLVENT", "LIQUIDATION"} else 0.0,
        ]


def valid_phone(phone: str | None) -> bool:
    """A Moroccan E.164 number (+212 then 9 digits, mobiles 6/7, fixed 5)."""
    return bool(phone and _PHONE.match(phone))


def valid_email(email: str | None) -> bool:
    return bool(email and _EMAIL.match(email))


@dataclass(frozen=True)
class LikelihoodModel:
    """Logistic likelihood of recovery: an intercept and one coefficient per feature."""

    intercept: float
    coefficients: tuple[float, ...]
    source: str  # PRIOR or CALIBRATED

    @classmethod
    def from_prior(cls, prior: LikelihoodPrior) -> LikelihoodModel:
        return cls(prior.intercept, tuple(float(getattr(prior, f)) for f in FEATURES), "PRIOR")

    def as_dict(self) -> dict[str, float]:
        return {"intercept": round(self.intercept, 6),
                **{f: round(c, 6) for f, c in zip(FEATURES, self.coefficients, strict=True)}}

    def likelihood(self, features: Features) -> Decimal:
        """The likelihood in [0, 1], rounded to 6 decimals (what is stored and multiplied)."""
        z = self.intercept + sum(c * x for c, x in zip(self.coefficients, features.vector(), strict=True))
        p = 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, z))))
        return Decimal(f"{p:.6f}")


def weighted_due(principal: Decimal, surcharge: Decimal, penalty: Decimal, weights: KindWeights) -> Decimal:
    """The kind-weighted open amount (MAD, to the centime)."""
    value = principal * weights.principal + surcharge * weights.surcharge + penalty * weights.penalty
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def score(weighted: Decimal, likelihood: Decimal) -> Decimal:
    """Expected recoverable amount (MAD, 4 decimals as core.selection_decision.score)."""
    return (weighted * likelihood).quantize(SCORE_QUANTUM, rounding=ROUND_HALF_UP)


def fit_likelihood(
    rows: Sequence[tuple[Features, float]], prior: LikelihoodModel, *, strength: float,
    iterations: int = 25,
) -> LikelihoodModel:
    """Fit the coefficients to outcomes ``y`` in [0, 1] (share of the weighted amount recovered):
    maximum a posteriori of a fractional logistic regression with a Gaussian prior centred on the
    prior coefficients (``strength`` = its precision, i.e. a ridge penalty towards the prior).
    Deterministic (Newton-Raphson from the prior)."""
    import numpy as np

    if not rows:
        return prior
    x = np.array([[1.0, *f.vector()] for f, _ in rows])
    y = np.clip(np.array([v for _, v in rows], dtype=float), 0.0, 1.0)
    b0 = np.array([prior.intercept, *prior.coefficients])
    b = b0.copy()
    penalty = np.full(len(b0), strength)
    for _ in range(iterations):
        p = 1.0 / (1.0 + np.exp(-np.clip(x @ b, -50, 50)))
        grad = x.T @ (y - p) - penalty * (b - b0)
        hess = (x.T * (p * (1 - p))) @ x + np.diag(penalty) + 1e-9 * np.eye(len(b))
        step = np.linalg.solve(hess, grad)
        b = b + step
        if float(np.max(np.abs(step))) < 1e-8:
            break
    return LikelihoodModel(float(b[0]), tuple(float(v) for v in b[1:]), "CALIBRATED")


def model_from_dict(values: Mapping[str, float], source: str) -> LikelihoodModel:
    """A model from its JSON form (core.selection_run.likelihood_coefficients)."""
    return LikelihoodModel(float(values["intercept"]), tuple(float(values[f]) for f in FEATURES), source)

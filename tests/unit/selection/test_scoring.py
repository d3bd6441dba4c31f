"""The score's likelihood model (recouvra.selection.scoring) and its calibration on observed outcomes."""

from __future__ import annotations

import random

from recouvra.selection.scoring import Features, LikelihoodModel, fit_likelihood


def test_the_likelihood_is_refitted_towards_observed_outcomes() -> None:
    from recouvra.config import LikelihoodPrior

    prior = LikelihoodModel.from_prior(LikelihoodPrior())
    rng = random.Random(5)
    rows = []
    for _ in range(2000):
        f = Features(rng.randint(0, 12), 0, rng.randint(1, 40), 0, "ACTIVE", True, True, True)
        # The truth: payments matter far more than the prior thinks.
        z = -3.0 + 4.0 * min(f.payments_12m, 12) / 12
        rows.append((f, 1.0 if rng.random() < 1 / (1 + 2.718281828 ** -z) else 0.0))
    fitted = fit_likelihood(rows, prior, strength=1.0)
    assert fitted.source == "CALIBRATED"
    assert fitted.coefficients[0] > prior.coefficients[0] + 1.0
    assert fit_likelihood([], prior, strength=1.0) is prior

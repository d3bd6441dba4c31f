"""Score calibration (recouvra.calibration): deciles of predicted likelihood, predicted against observed,
and the model in use."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from recouvra.calibration import Outcome, deciles, model_in_use

pytestmark = pytest.mark.unit

D = Decimal
JUL = dt.date(2026, 7, 1)


def _outcome(i: int, likelihood: str, weighted: str = "1000.00", recovered: str = "0.00") -> Outcome:
    return Outcome(f"D202607-{i:06d}", JUL, D(likelihood), D(weighted), D(recovered))


def test_deciles_rank_by_likelihood_and_split_as_evenly_as_can_be() -> None:
    outcomes = [_outcome(i, f"0.{i:02d}", recovered="100.00" if i % 2 else "0.00") for i in range(1, 24)]
    groups = deciles(outcomes)
    assert [g.dossiers_count for g in groups] == [3, 3, 3, 2, 2, 2, 2, 2, 2, 2]  # 23 = 3 x 3 + 7 x 2
    assert groups[0].mean_likelihood == D("0.220000")  # 0.23, 0.22, 0.21: the highest first
    assert groups[0].predicted_amount == D("660.00") and groups[0].observed_amount == D("200.00")
    assert groups[0].predicted_rate == D("0.220000") and groups[0].observed_rate == D("0.066667")
    assert groups[-1].mean_likelihood == D("0.015000")
    assert sum(g.dossiers_count for g in groups) == 23


def test_fewer_dossiers_than_deciles_give_fewer_groups_and_ties_go_by_dossier_id() -> None:
    groups = deciles([_outcome(2, "0.5"), _outcome(1, "0.5", recovered="500.00"), _outcome(3, "0.1")])
    assert [(g.decile, g.observed_amount) for g in groups] == [
        (1, D("500.00")), (2, D("0.00")), (3, D("0.00"))]
    assert deciles([]) == []


def test_the_model_in_use_and_the_month_it_was_last_fitted() -> None:
    runs = [(dt.date(2026, 7, 1), 1, "PRIOR", 0), (dt.date(2026, 10, 1), 1, "CALIBRATED", 3),
            (dt.date(2026, 10, 1), 2, "CALIBRATED", 3), (dt.date(2026, 11, 1), 1, "PRIOR", 2)]
    assert model_in_use(runs) == ("PRIOR", dt.date(2026, 10, 1))
    assert model_in_use(runs[:1]) == ("PRIOR", None)
    assert model_in_use([]) == (None, None)

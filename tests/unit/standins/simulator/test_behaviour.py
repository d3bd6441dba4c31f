"""How a simulated agency works one dossier (recouvra.standins.simulator.behaviour): seeded plans,
Moroccan phone numbers in local forms."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from recouvra.config import AgencyBehaviour
from recouvra.standins.simulator.behaviour import moroccan_phone, plan_dossier
from recouvra.standins.simulator.model import DossierFacts

pytestmark = [pytest.mark.unit]

START, END = dt.date(2026, 11, 1), dt.date(2027, 4, 30)


def _facts(n: int, agency: str = "AG01") -> DossierFacts:
    periods = tuple((f"2026-0{m}", Decimal(f"{900 + 13 * n + m}.{m}5")) for m in range(1, 5))
    return DossierFacts(
        dossier_id=f"D202611-{n:06d}",
        agency=agency,
        affiliation_no=f"{n:07d}",
        debtor_name=f"Société {n}",
        total_due=sum((a for _, a in periods), Decimal(0)),
        assignment_start=START,
        assignment_end=END,
        periods=periods,
        city="Casablanca",
        recall_date=dt.date(2026, 12, 20) if n % 7 == 0 else None,
    )


DOSSIERS = {f.dossier_id: f for f in (_facts(n) for n in range(1, 301))}
CLEAN = AgencyBehaviour(malformed_share=Decimal(0), malformed_file_share=Decimal(0))


def test_phones_are_valid_moroccan_numbers_in_local_forms() -> None:
    import random

    from recouvra.exchange.values import phone_e164

    rng = random.Random(1)
    phones = [moroccan_phone(rng) for _ in range(50)]
    assert all(phone_e164(p) for p in phones)
    assert any(p.startswith("06") or p.startswith("07") for p in phones)


def test_plan_is_independent_of_other_dossiers_and_of_until() -> None:
    f = DOSSIERS["D202611-000002"]
    assert plan_dossier(f, CLEAN, 7) == plan_dossier(f, CLEAN, 7)

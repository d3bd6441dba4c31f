"""How a simulated agency works one dossier (recouvra.standins.simulator.behaviour): seeded plans, what
each debtor profile leads to, Moroccan phone numbers in local forms."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from recouvra.config import AgencyBehaviour
from recouvra.standins.simulator.behaviour import moroccan_phone, plan_dossier
from recouvra.standins.simulator.model import DossierFacts, DossierPlan

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


def _plans(**rates: str) -> list[DossierPlan]:
    b = AgencyBehaviour(**{k: Decimal(v) for k, v in rates.items()})
    return [plan_dossier(f, b, 7) for f in DOSSIERS.values()]


def test_unreached_debtors_get_attempts_a_visit_and_an_asset_search() -> None:
    for plan in _plans(contact_rate="0"):
        assert plan.profile == "unreachable"
        actions = [(e.cell("action_type"), e.cell("outcome")) for e in plan.events
                   if e.record_type == "ACTIONS"]
        assert ("VISIT", "DEBTOR_NOT_FOUND") in actions
        assert sum(a == "ASSET_SEARCH" for a, _ in actions) == 1
        assert not any(o == "RIGHT_PARTY_CONTACT" for _, o in actions)
        assert {e.cell("reason") for e in plan.events if e.record_type == "CLOSURES"} <= {"UNREACHABLE"}


def test_plan_debtors_request_and_sign_one_plan_for_what_they_owe_and_pay_installments() -> None:
    for plan in _plans(contact_rate="1", promise_rate="1", plan_rate="1", pay_rate="1"):
        facts = DOSSIERS[plan.dossier_id]
        assert plan.profile == "plan"
        plans = [e for e in plan.events if e.record_type == "PLANS"]
        assert [e.cell("status") for e in plans] == ["REQUESTED", "SIGNED"]
        stem = plan.dossier_id.replace("-", "")
        assert {e.cell("plan_id") for e in plans} == {f"PLN-{stem}-1"}
        assert plans[0].cell("total_amount") == f"{facts.total_due:.2f}"
        paid: dict[str, Decimal] = {}
        for e in plan.events:
            assert START <= e.day <= END
            if e.payment is not None:
                paid[e.payment.period] = paid.get(e.payment.period, Decimal(0)) + e.payment.amount
        assert all(amount <= dict(facts.periods)[period] for period, amount in paid.items())


def test_reached_debtors_who_never_promise_refuse_dispute_cease_or_are_insolvent() -> None:
    plans = _plans(contact_rate="1", promise_rate="0")
    assert {p.profile for p in plans} == {"refuser", "disputer", "ceased", "insolvent"}
    closing = {"disputer": "DISPUTED", "ceased": "CEASED_NO_ASSETS", "insolvent": "INSOLVENT"}
    for plan in plans:
        reasons = [e.cell("reason") for e in plan.events if e.record_type == "CLOSURES"]
        if plan.profile in closing:
            assert reasons == [closing[plan.profile]] or not reasons  # a closure past the window is cut
        else:
            assert set(reasons) <= {"OTHER"}

"""Typed return records: identity (``key``), content and the fingerprint that tells duplicate from E011."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from decimal import Decimal

import pytest

from recouvra.returns import (
    ActionRecord,
    ClosureRecord,
    ContactRecord,
    ObjectionRecord,
    PaymentRecord,
    PlanRecord,
)
from recouvra.returns.records import KEY_SEPARATOR, RECORD_CLASSES

DAY = dt.date(2026, 11, 10)


def payment(**changes: object) -> PaymentRecord:
    values: dict[str, object] = {"line_no": 2, "dossier_id": "D1", "payment_id": "P1", "payment_date": DAY,
                                 "amount": Decimal("100.00"), "channel": "CHEQUE", "receipt_ref": None}
    return PaymentRecord(**{**values, **changes})  # type: ignore[arg-type]


def plan(status: str = "REQUESTED") -> PlanRecord:
    return PlanRecord(line_no=3, dossier_id="D1", plan_id="PL1", request_date=DAY, installments=6,
                      first_due_date=dt.date(2026, 12, 5), total_amount=Decimal("6000.00"), status=status)


def test_record_classes_by_return_type() -> None:
    assert RECORD_CLASSES == {"ACTIONS": ActionRecord, "CONTACTS": ContactRecord, "PAYMENTS": PaymentRecord,
                              "PLANS": PlanRecord, "CLOSURES": ClosureRecord,
                              "OBJECTIONS": ObjectionRecord}
    assert {t: c.id_field for t, c in RECORD_CLASSES.items()} == {
        "ACTIONS": "action_id", "CONTACTS": "update_id", "PAYMENTS": "payment_id", "PLANS": "plan_id",
        "CLOSURES": "closure_id", "OBJECTIONS": "objection_id"}


def test_key_is_the_agencys_id_and_plan_id_with_status_for_plans() -> None:
    assert (payment().record_id, payment().key) == ("P1", "P1")
    closure = ClosureRecord(line_no=2, dossier_id="D1", closure_id="K1", closure_date=DAY, reason="OTHER")
    assert closure.key == "K1"
    assert KEY_SEPARATOR == "#"
    assert (plan().record_id, plan().key, plan("SIGNED").key) == ("PL1", "PL1#REQUESTED", "PL1#SIGNED")


def test_content_leaves_out_the_line_number() -> None:
    assert payment().content() == {"dossier_id": "D1", "payment_id": "P1", "payment_date": DAY,
                                   "amount": Decimal("100.00"), "channel": "CHEQUE", "receipt_ref": None}


def test_fingerprint_is_the_sha256_of_the_canonical_json() -> None:
    canonical = ('{"amount": "100.00", "channel": "CHEQUE", "dossier_id": "D1", '
                 '"payment_date": "2026-11-10", "payment_id": "P1", "receipt_ref": null}')
    assert payment().fingerprint == hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def test_same_content_written_differently_has_the_same_fingerprint() -> None:
    assert payment(amount=Decimal("100")).fingerprint == payment().fingerprint
    assert payment(line_no=40).fingerprint == payment().fingerprint


@pytest.mark.parametrize(
    "changes",
    [{"amount": Decimal("100.01")}, {"payment_date": dt.date(2026, 11, 11)}, {"channel": "ONLINE"},
     {"receipt_ref": "R-1"}, {"dossier_id": "D2"}],
)
def test_other_content_has_another_fingerprint(changes: dict[str, object]) -> None:
    assert payment(**changes).fingerprint != payment().fingerprint


def test_plan_statuses_are_different_content() -> None:
    assert plan("REQUESTED").fingerprint != plan("SIGNED").fingerprint


def test_non_ascii_text_is_fingerprinted_as_utf8() -> None:
    action = ActionRecord(line_no=2, dossier_id="D1", action_id="A1", action_date=DAY, action_type="CALL",
                          outcome="NO_ANSWER", comment="اتصال")
    canonical = json.dumps(action.content(), sort_keys=True, default=str, ensure_ascii=False)
    assert action.fingerprint == hashlib.sha256(canonical.encode("utf-8")).hexdigest()

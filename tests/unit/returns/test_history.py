"""The judge's memory held in dictionaries: what a judged file leaves behind (DUPLICATE, F007, E011)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from recouvra.returns import InMemoryReturnHistory, PaymentRecord, PlanRecord, ReturnHistory
from recouvra.returns.records import ReturnRecord

DAY = dt.date(2026, 11, 10)


@dataclass(frozen=True)
class Code:
    code: str


@dataclass(frozen=True)
class Judged:
    """What a history reads of a judgement: the judge's own Judgement has these attributes too."""

    agency: str
    file_name: str
    sha256: str
    file_errors: tuple[Code, ...] = ()
    accepted: tuple[ReturnRecord, ...] = field(default_factory=tuple)


def payment(payment_id: str, amount: str = "10.00") -> PaymentRecord:
    return PaymentRecord(line_no=2, dossier_id="D1", payment_id=payment_id, payment_date=DAY,
                         amount=Decimal(amount), channel="CHEQUE")


def test_in_memory_history_is_a_return_history() -> None:
    assert isinstance(InMemoryReturnHistory(), ReturnHistory)


def test_an_empty_history_knows_nothing() -> None:
    history = InMemoryReturnHistory()
    assert history.file_seen("AG01", "ab" * 32) is False
    assert history.sha256_for_name("AG01", "AG01_PAYMENTS_20261125_01.csv") is None
    assert history.fingerprints("AG01", "PAYMENTS", ["P1"]) == {}


def test_a_file_judged_on_its_rows_is_remembered_by_sha256_name_and_records() -> None:
    history = InMemoryReturnHistory()
    p1, p2 = payment("P1"), payment("P2", "20.00")
    history.remember(Judged("AG01", "AG01_PAYMENTS_20261125_01.csv", "AB" * 32, accepted=(p1, p2)))

    assert history.file_seen("AG01", "ab" * 32) is True  # digests compare case-insensitively
    assert history.file_seen("AG01", "AB" * 32) is True
    assert history.file_seen("AG02", "ab" * 32) is False  # per agency
    assert history.sha256_for_name("AG01", "AG01_PAYMENTS_20261125_01.csv") == "AB" * 32
    assert history.fingerprints("AG01", "PAYMENTS", ["P1", "P2", "P3"]) == {
        "P1": p1.fingerprint, "P2": p2.fingerprint}
    assert history.fingerprints("AG01", "ACTIONS", ["P1"]) == {}
    assert history.fingerprints("AG02", "PAYMENTS", ["P1"]) == {}


def test_the_first_delivery_of_a_name_and_of_a_record_wins() -> None:
    history = InMemoryReturnHistory()
    first, later = payment("P1", "10.00"), payment("P1", "99.00")
    history.remember(Judged("AG01", "AG01_PAYMENTS_20261125_01.csv", "aa" * 32, accepted=(first,)))
    history.remember(Judged("AG01", "AG01_PAYMENTS_20261125_01.csv", "bb" * 32, accepted=(later,)))
    assert history.sha256_for_name("AG01", "AG01_PAYMENTS_20261125_01.csv") == "aa" * 32
    assert history.fingerprints("AG01", "PAYMENTS", ["P1"]) == {"P1": first.fingerprint}
    assert first.fingerprint != later.fingerprint


def test_a_file_rejected_whole_keeps_its_name_but_not_its_bytes_or_records() -> None:
    history = InMemoryReturnHistory()
    history.remember(Judged("AG01", "AG01_PAYMENTS_20261125_01.csv", "cc" * 32, (Code("F004"),),
                            (payment("P1"),)))
    assert history.file_seen("AG01", "cc" * 32) is False
    assert history.sha256_for_name("AG01", "AG01_PAYMENTS_20261125_01.csv") == "cc" * 32
    assert history.fingerprints("AG01", "PAYMENTS", ["P1"]) == {}


def test_a_file_whose_name_was_refused_leaves_nothing() -> None:
    history = InMemoryReturnHistory()
    history.remember(Judged("AG01", "ag01_payments.csv", "dd" * 32, (Code("F001"),)))
    assert history.sha256_for_name("AG01", "ag01_payments.csv") is None
    assert history.file_seen("AG01", "dd" * 32) is False


def test_plans_are_remembered_by_plan_id_and_status() -> None:
    history = InMemoryReturnHistory()
    requested = PlanRecord(line_no=2, dossier_id="D1", plan_id="PL1", request_date=DAY, installments=6,
                           first_due_date=dt.date(2026, 12, 5), total_amount=Decimal("6000"),
                           status="REQUESTED")
    history.remember(Judged("AG01", "AG01_PLANS_20261125_01.csv", "ee" * 32, accepted=(requested,)))
    assert history.fingerprints("AG01", "PLANS", ["PL1#REQUESTED", "PL1#SIGNED", "PL1"]) == {
        "PL1#REQUESTED": requested.fingerprint}

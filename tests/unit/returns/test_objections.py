"""Objections to a recall notice (addition to agency-exchange/1): the fund's rules, as an agency reads
them in its acknowledgement and rejects file (codes E013 to E016, naming the line and the field)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from recouvra.exchange.spec import ObjectionRules, Status
from recouvra.publication import RecallNoticeRow, render_recall_notice
from recouvra.returns import Dossier, ExchangeContext, InMemoryReturnHistory, Judgement, judge_bytes
from recouvra.returns.context import Notice
from recouvra.standins.return_samples import return_csv

pytestmark = pytest.mark.unit

START, END = dt.date(2026, 7, 1), dt.date(2026, 12, 31)
INTENDED = END
NOTICE = Notice(INTENDED, INTENDED, Decimal("10000.00"))
RULES = ObjectionRules(frozenset({"PROMISE", "PAYMENT_ANNOUNCED"}), Decimal("0.10"), 45, 7)
CONTEXT = ExchangeContext({
    "D1": Dossier("D1", "AG01", START, END, Decimal("12000.00"), notice=NOTICE),
    "D2": Dossier("D2", "AG02", START, END, Decimal("12000.00"), notice=NOTICE),
    "D3": Dossier("D3", "AG01", START, END, Decimal("12000.00")),  # no notice
    "D4": Dossier("D4", "AG01", START, END, Decimal("12000.00"),
                  notice=Notice(INTENDED, INTENDED, Decimal("10000.00"), dt.date(2027, 1, 20), "OB-0")),
}, RULES)
HEADER = ["dossier_id", "objection_id", "objection_date", "evidence_type", "evidence_ref", "evidence_amount",
          "evidence_date", "comment"]
GOOD = {"dossier_id": "D1", "objection_id": "OB1", "objection_date": "2026-12-10",
        "evidence_type": "PAYMENT_ANNOUNCED", "evidence_ref": "VIR-2027-001", "evidence_amount": "4000.00",
        "evidence_date": "2027-01-15", "comment": ""}
NAME = "AG01_OBJECTIONS_20261215_01.csv"


def judge(*rows: dict[str, str], on: dt.date = dt.date(2026, 12, 15)) -> Judgement:
    data = return_csv(HEADER, [[{**GOOD, **r}[c] for c in HEADER] for r in rows])
    return judge_bytes(NAME, data, "AG01", CONTEXT, InMemoryReturnHistory(), on=on,
                       received_at=dt.datetime(2026, 12, 15, 9, tzinfo=dt.UTC))


def test_an_objection_with_accepted_evidence_is_accepted_and_moves_the_date_once_bounded() -> None:
    j = judge({})
    assert j.status is Status.ACCEPTED, j.rejects
    record = j.accepted[0]
    assert (record.record_type, record.record_id) == ("OBJECTIONS", "OB1")
    # the new recall date: evidence_date + 7 days margin, never beyond intended + 45 days
    assert RULES.extended_to(INTENDED, dt.date(2027, 1, 15)) == dt.date(2027, 1, 22)
    assert RULES.extended_to(INTENDED, dt.date(2027, 2, 14)) == dt.date(2027, 2, 14)


@pytest.mark.parametrize(("changes", "code", "field"), [
    ({"evidence_type": "PLAN_IN_SIGNATURE"}, "E015", "evidence_type"),  # not accepted by these rules
    ({"evidence_amount": "999.99"}, "E015", "evidence_amount"),  # below 10 % of 10,000.00 owed
    ({"evidence_date": "2026-12-20"}, "E015", "evidence_date"),  # before the intended date: nothing to move
    ({"evidence_date": "2027-02-15"}, "E015", "evidence_date"),  # beyond 45 days
    ({"dossier_id": "D3"}, "E013", "dossier_id"),  # no notice sent
    ({"dossier_id": "D4"}, "E016", "dossier_id"),  # the date already moved by OB-0
    ({"dossier_id": "D9"}, "E001", "dossier"),  # unknown dossier
    ({"dossier_id": "D2"}, "E002", "dossier"),  # another agency's
    ({"evidence_type": "CASH"}, "E006", "evidence_type"),
])
def test_a_refused_objection_is_rejected_with_a_code_naming_line_and_field(
    changes: dict[str, str], code: str, field: str,
) -> None:
    j = judge(changes)
    assert j.status is Status.REJECTED
    assert [(r.line_no, r.record_id, r.reason_code) for r in j.rejects] == [(2, "OB1", code)]
    assert field in j.rejects[0].detail
    assert f"2;OB1;{code};" in j.rejects_csv()


def test_an_objection_received_after_the_deadline_is_late() -> None:
    j = judge({}, on=dt.date(2027, 1, 1))
    assert [r.reason_code for r in j.rejects] == ["E014"]
    assert "objection_deadline 2026-12-31" in j.rejects[0].detail


def test_the_date_moves_once_a_second_objection_in_the_file_is_e016() -> None:
    j = judge({}, {"objection_id": "OB2", "evidence_date": "2027-01-30"})
    assert [a.record_id for a in j.accepted] == ["OB1"]
    assert [(r.line_no, r.reason_code) for r in j.rejects] == [(3, "E016")]
    assert j.ack["rows_received"] == 2 and j.status is Status.PARTIAL


def test_the_notice_file_lists_each_notice_and_leaves_no_deadline_once_the_date_moved() -> None:
    data = render_recall_notice([
        RecallNoticeRow("D202607-000002", "EXPIRED", dt.date(2027, 1, 22), None, Decimal("6000")),
        RecallNoticeRow("D202607-000001", "EXPIRED", END, END, Decimal("10000.00")),
    ])
    assert data.decode() == (
        "dossier_id;reason;intended_recall_date;objection_deadline;owed_amount\n"
        "D202607-000001;EXPIRED;2026-12-31;2026-12-31;10000.00\n"
        "D202607-000002;EXPIRED;2027-01-22;;6000.00\n"
    )

"""Acknowledgements (recouvra.exchange.ack): the exact bytes of a known ack.json and rejects.csv,
render then parse gives the same object, an ack that breaks the contract is refused, and the judge's
acknowledgement reads back on the agency's side."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from recouvra.exchange.ack import (
    ACK_KEYS,
    REJECTS_COLUMNS,
    Ack,
    FileError,
    Reject,
    parse_rejects,
    render_rejects,
)
from recouvra.exchange.errors import AckError
from recouvra.exchange.spec import Status

pytestmark = [pytest.mark.unit]

SHA = "cd" * 32
KNOWN = Ack(
    file="AG01_PAYMENTS_20261115_01.csv", sha256=SHA, received_at="2026-11-15T09:30:00Z",
    status=Status.PARTIAL, rows_received=40, rows_accepted=37, rows_rejected=2, rows_duplicate=1,
    warnings=("column note ignored",),
)
KNOWN_TEXT = (
    '{\n'
    '  "spec": "agency-exchange/1",\n'
    '  "file": "AG01_PAYMENTS_20261115_01.csv",\n'
    f'  "sha256": "{SHA}",\n'
    '  "received_at": "2026-11-15T09:30:00Z",\n'
    '  "status": "PARTIAL",\n'
    '  "rows_received": 40,\n'
    '  "rows_accepted": 37,\n'
    '  "rows_rejected": 2,\n'
    '  "rows_duplicate": 1,\n'
    '  "file_errors": [],\n'
    '  "warnings": [\n'
    '    "column note ignored"\n'
    '  ]\n'
    '}\n'
)
REJECTED = Ack(
    file="AG01_CONTACTS_20261115_02.csv", sha256=SHA, received_at="2026-11-15T09:31:00Z",
    status=Status.REJECTED, rows_received=3, rows_accepted=0, rows_rejected=3, rows_duplicate=0,
    file_errors=(FileError("F003", "required column(s) absent from the header: évidence"),),
)
REJECTS = (
    Reject(2, "P;1", "E005", 'amount "12,50" is not an amount'),
    Reject(3, "", "E007", "=required value missing: payment_id"),
    Reject(5, "P-9", "E003", "payment_date 2026-10-01 is outside\nthe window"),
    Reject(6, '=HYPERLINK("http://x.example")', "E011", "payment_id sent before with other content"),
    Reject(7, "-2+3", "E004", "payment_date '2026-13-01' is not a real date YYYY-MM-DD"),
)
REJECTS_TEXT = (
    "line_no;record_id;reason_code;detail\n"
    '2;"P;1";E005;"amount ""12,50"" is not an amount"\n'
    "3;;E007;'=required value missing: payment_id\n"
    '5;P-9;E003;"payment_date 2026-10-01 is outside\nthe window"\n'
    # the agency's own id is what it typed: guarded like free text (it would run when the file is opened)
    '6;"\'=HYPERLINK(""http://x.example"")";E011;payment_id sent before with other content\n'
    "7;'-2+3;E004;payment_date '2026-13-01' is not a real date YYYY-MM-DD\n"
)


def test_known_ack_is_byte_exact() -> None:
    assert KNOWN.render() == KNOWN_TEXT
    assert tuple(json.loads(KNOWN_TEXT)) == ACK_KEYS


def test_file_errors_are_objects_and_text_stays_utf8() -> None:
    doc = json.loads(REJECTED.render())
    detail = "required column(s) absent from the header: évidence"
    assert doc["file_errors"] == [{"code": "F003", "detail": detail}]
    assert "évidence" in REJECTED.render()  # written as UTF-8, not \\u-escaped


@pytest.mark.parametrize("ack", [KNOWN, REJECTED], ids=["partial", "rejected"])
def test_render_then_parse_gives_the_same_ack(ack: Ack) -> None:
    assert Ack.parse(ack.render()) == ack
    assert Ack.parse(ack.render().encode("utf-8")) == ack


def _mutated(change: Any) -> str:
    doc = json.loads(KNOWN_TEXT)
    change(doc)
    return json.dumps(doc)


@pytest.mark.parametrize(("change", "why"), [
    (lambda d: d.update(spec="agency-exchange/2"), "spec"),
    (lambda d: d.update(file=""), "file"),
    (lambda d: d.update(received_at="2026-11-15"), "received_at"),
    (lambda d: d.update(status="OK"), "status"),
    (lambda d: d.update(rows_accepted=36), "rows_received"),  # a row lost silently
    (lambda d: d.update(rows_rejected=-1), "rows_rejected"),
    (lambda d: d.update(rows_duplicate=True), "rows_duplicate"),
    (lambda d: d.update(file_errors=["F003"]), "file_errors"),
    (lambda d: d.update(warnings="column note ignored"), "warnings"),
])
def test_an_ack_not_the_contracts_is_refused(change: Any, why: str) -> None:
    with pytest.raises(AckError, match=why):
        Ack.parse(_mutated(change), name="x.ack.json")


@pytest.mark.parametrize("data", [b"", b"[]", b"\xff", "{"])
def test_not_json_objects_are_refused(data: bytes | str) -> None:
    with pytest.raises(AckError):
        Ack.parse(data)


def test_known_rejects_are_byte_exact_and_read_back() -> None:
    assert render_rejects(REJECTS) == REJECTS_TEXT
    assert parse_rejects(REJECTS_TEXT) == REJECTS  # the formula guards are taken off again
    assert parse_rejects(REJECTS_TEXT.encode()) == REJECTS
    assert render_rejects(()) == ""  # no rejects: no rejects file


@pytest.mark.parametrize(("text", "why"), [
    ("", "header"),
    ("line_no;record_id;code;detail\n", "header"),
    (";".join(REJECTS_COLUMNS) + "\n2;P1;E005\n", "3 cells"),
    (";".join(REJECTS_COLUMNS) + "\nx;P1;E005;d\n", "line_no"),
    (";".join(REJECTS_COLUMNS) + '\n2;"P1;E005;d\n', "never closed"),
])
def test_malformed_rejects_are_refused(text: str, why: str) -> None:
    with pytest.raises(AckError, match=why):
        parse_rejects(text)


def test_the_judges_acknowledgement_reads_back(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from recouvra.returns import write_acknowledgement
    from recouvra.returns.context import ExchangeContext
    from recouvra.returns.history import InMemoryReturnHistory
    from recouvra.returns.judge import judge_bytes

    data = b"dossier_id;payment_id;payment_date;amount;channel\nD202611-000001;P1;2026-11-20;10.00;CHEQUE\n"
    j = judge_bytes("AG01_PAYMENTS_20261125_01.csv", data, "AG01", ExchangeContext(), InMemoryReturnHistory(),
                    on=dt.date(2026, 11, 25), received_at=dt.datetime(2026, 11, 25, 9, 30, tzinfo=dt.UTC))
    assert j.status is Status.REJECTED and j.rejects[0].reason_code == "E001"
    rejects_path, ack_path = write_acknowledgement(j, tmp_path)
    assert Ack.parse(ack_path.read_bytes(), name=ack_path.name) == j.acknowledgement()
    assert parse_rejects(rejects_path.read_bytes()) == j.rejects

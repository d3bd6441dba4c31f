"""The return-file judge: every file and row code, their precedence, statuses and the history."""

from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from recouvra.exchange.spec import MAX_FILE_BYTES, UNREAD_SHA256
from recouvra.returns import (
    ContactRecord,
    Dossier,
    ExchangeContext,
    InMemoryReturnHistory,
    Judgement,
    PaymentRecord,
    PlanRecord,
    ReturnHistory,
    Status,
    judge_bytes,
    judge_file,
    judge_unread,
)
from recouvra.standins.return_samples import return_csv

AS_OF = dt.date(2026, 11, 25)
NOW = dt.datetime(2026, 11, 25, 9, 30, tzinfo=dt.UTC)
START, END = dt.date(2026, 11, 1), dt.date(2027, 4, 30)
CONTEXT = ExchangeContext({
    "D1": Dossier("D1", "AG01", START, END, Decimal("10000.00")),
    "D2": Dossier("D2", "AG02", START, END, Decimal("5000.00")),
    "D3": Dossier("D3", "AG01", START, END, Decimal("8000.00"), recall_date=dt.date(2026, 11, 20)),
    "D4": Dossier("D4", "AG01", dt.date(2026, 11, 5), END, Decimal("3000.00")),
})

HEADERS = {
    "ACTIONS": ["dossier_id", "action_id", "action_date", "action_type", "outcome", "promise_amount",
                "promise_date", "comment"],
    "CONTACTS": ["dossier_id", "update_id", "field", "value", "observed_date", "evidence"],
    "PAYMENTS": ["dossier_id", "payment_id", "payment_date", "amount", "channel", "receipt_ref"],
    "PLANS": ["dossier_id", "plan_id", "request_date", "installments", "first_due_date", "total_amount",
              "status"],
    "CLOSURES": ["dossier_id", "closure_id", "closure_date", "reason", "comment"],
}
GOOD = {
    "ACTIONS": {"dossier_id": "D1", "action_id": "A1", "action_date": "2026-11-10", "action_type": "CALL",
                "outcome": "NO_ANSWER", "promise_amount": "", "promise_date": "", "comment": ""},
    "CONTACTS": {"dossier_id": "D1", "update_id": "C1", "field": "PHONE", "value": "06 12 34 56 78",
                 "observed_date": "2026-11-10", "evidence": ""},
    "PAYMENTS": {"dossier_id": "D1", "payment_id": "P1", "payment_date": "2026-11-10", "amount": "1500.00",
                 "channel": "BANK_TRANSFER", "receipt_ref": "R-0001"},
    "PLANS": {"dossier_id": "D1", "plan_id": "PL1", "request_date": "2026-11-10", "installments": "6",
              "first_due_date": "2026-12-05", "total_amount": "6000.00", "status": "REQUESTED"},
    "CLOSURES": {"dossier_id": "D1", "closure_id": "K1", "closure_date": "2026-11-20",
                 "reason": "PAID_IN_FULL", "comment": ""},
}


def name_of(rtype: str, agency: str = "AG01", seq: int = 1) -> str:
    return f"{agency}_{rtype}_20261125_{seq:02d}.csv"


def row(rtype: str, header: list[str] | None = None, **changes: str) -> list[str]:
    values = {**GOOD[rtype], **changes}
    return [values.get(c, "") for c in (header or HEADERS[rtype])]


def content(rtype: str, *rows: list[str], header: list[str] | None = None, line_end: str = "\n") -> bytes:
    return return_csv(header or HEADERS[rtype], rows, line_end=line_end)


def judge(
    data: bytes,
    name: str = "AG01_PAYMENTS_20261125_01.csv",
    *,
    history: ReturnHistory | None = None,
    agency: str = "AG01",
    sidecar: bytes | None = None,
) -> Judgement:
    return judge_bytes(
        name, data, agency, CONTEXT, history or InMemoryReturnHistory(),
        on=AS_OF, received_at=NOW, sidecar=sidecar,
    )


def one(rtype: str, header: list[str] | None = None, **changes: str) -> Judgement:
    """Judge a file of type ``rtype`` with one row: GOOD with ``changes``."""
    return judge(content(rtype, row(rtype, header, **changes), header=header), name_of(rtype))


def codes(j: Judgement) -> list[str]:
    return [r.reason_code for r in j.rejects]


def file_code(j: Judgement) -> str | None:
    return j.file_errors[0].code if j.file_errors else None


def assert_nothing_lost(j: Judgement) -> None:
    ack = j.ack
    assert ack["rows_received"] == ack["rows_accepted"] + ack["rows_rejected"] + ack["rows_duplicate"]
    assert ack["rows_rejected"] == len(j.rejects)


# --------------------------------------------------------------------------------------------------
# Accepted files and the ack


@pytest.mark.parametrize("rtype", list(HEADERS))
def test_a_good_row_of_each_type_is_accepted(rtype: str) -> None:
    j = one(rtype)
    assert j.status is Status.ACCEPTED, j.rejects
    assert (j.ack["rows_received"], j.ack["rows_accepted"]) == (1, 1)
    assert j.accepted[0].line_no == 2


def test_ack_has_the_contract_keys_in_order() -> None:
    data = content("PAYMENTS", row("PAYMENTS"))
    j = judge(data)
    assert list(j.ack) == [
        "spec", "file", "sha256", "received_at", "status", "rows_received", "rows_accepted",
        "rows_rejected", "rows_duplicate", "file_errors", "warnings",
    ]
    assert j.ack["spec"] == "agency-exchange/1"
    assert j.ack["file"] == "AG01_PAYMENTS_20261125_01.csv"
    assert j.ack["sha256"] == hashlib.sha256(data).hexdigest()
    assert j.ack["received_at"] == "2026-11-25T09:30:00Z"
    assert j.report()["rejects"] == []


def test_accepted_records_are_typed() -> None:
    j = one("PAYMENTS", amount="1500")
    rec = j.accepted[0]
    assert isinstance(rec, PaymentRecord)
    assert rec.amount == Decimal("1500.00") and isinstance(rec.amount, Decimal)
    assert rec.payment_date == dt.date(2026, 11, 10)
    assert rec.record_id == "P1" and rec.receipt_ref == "R-0001"
    plan = one("PLANS").accepted[0]
    assert isinstance(plan, PlanRecord) and plan.installments == 6 and plan.key == "PL1#REQUESTED"


@pytest.mark.parametrize(
    "phone", ["06 12 34 56 78", "+212612345678", "0612345678", "06-12-34-56-78", "00212612345678",
              "+212 6 12 34 56 78"],
)
def test_phone_is_stored_in_e164(phone: str) -> None:
    j = one("CONTACTS", value=phone)
    assert j.status is Status.ACCEPTED
    assert isinstance(j.accepted[0], ContactRecord)
    assert j.accepted[0].value == "+212612345678"


def test_landline_phone_email_and_activity_status_are_accepted() -> None:
    h = HEADERS["CONTACTS"]
    data = content(
        "CONTACTS",
        row("CONTACTS", update_id="C1", value="0522 12 34 56"),
        row("CONTACTS", update_id="C2", field="EMAIL", value="Karim.Benali+cnss@atlas-textile.co.ma"),
        row("CONTACTS", update_id="C3", field="ACTIVITY_STATUS", value="LIQUIDATION"),
        row("CONTACTS", update_id="C4", field="ASSET", value="Terrain industriel, Ain Sebaa"),
        header=h,
    )
    j = judge(data, name_of("CONTACTS"))
    assert j.status is Status.ACCEPTED, j.rejects
    assert j.accepted[0].value == "+212522123456"  # type: ignore[attr-defined]


def test_bom_and_crlf() -> None:
    data = b"\xef\xbb\xbf" + content("PAYMENTS", row("PAYMENTS"), row("PAYMENTS", payment_id="P2"),
                                     line_end="\r\n")
    j = judge(data)
    assert j.status is Status.ACCEPTED
    assert [r.line_no for r in j.accepted] == [2, 3]
    assert j.accepted[0].dossier_id == "D1"  # the BOM did not stick to the first column name


def test_column_order_is_free() -> None:
    header = list(reversed(HEADERS["PAYMENTS"]))
    j = judge(content("PAYMENTS", row("PAYMENTS", header), header=header))
    assert j.status is Status.ACCEPTED
    assert j.accepted[0].amount == Decimal("1500.00")  # type: ignore[attr-defined]


def test_optional_columns_may_be_absent() -> None:
    header = ["dossier_id", "action_id", "action_date", "action_type", "outcome"]
    j = judge(content("ACTIONS", row("ACTIONS", header), header=header), name_of("ACTIONS"))
    assert j.status is Status.ACCEPTED


def test_extra_columns_are_ignored_with_a_warning() -> None:
    header = [*HEADERS["PAYMENTS"], "note"]
    j = judge(content("PAYMENTS", row("PAYMENTS", header, note="anything"), header=header))
    assert j.status is Status.ACCEPTED
    assert j.ack["warnings"] == ["column note ignored"]


def test_quoted_delimiter_and_newline_give_the_next_record_its_physical_line() -> None:
    rows = [
        row("ACTIONS", action_id="A1", comment="rappel; le gérant dit \"demain\""),
        row("ACTIONS", action_id="A2", comment="ligne 1\nligne 2\r\nligne 3"),
        row("ACTIONS", action_id="A3", action_date="2099-01-01"),
    ]
    j = judge(content("ACTIONS", *rows), name_of("ACTIONS"))
    assert [r.line_no for r in j.accepted] == [2, 3]
    assert j.accepted[0].comment == 'rappel; le gérant dit "demain"'  # type: ignore[attr-defined]
    assert [(r.line_no, r.record_id, r.reason_code) for r in j.rejects] == [(6, "A3", "E004")]


def test_blank_lines_count_as_lines_but_not_as_rows() -> None:
    body = content("PAYMENTS", row("PAYMENTS")).decode() + "\n\n" + ";".join(row("PAYMENTS", payment_id="P2"))
    j = judge(body.encode())
    assert j.ack["rows_received"] == 2
    assert [r.line_no for r in j.accepted] == [2, 5]


def test_arabic_text_is_kept() -> None:
    comment = "المسير وعد بالأداء قبل نهاية الشهر"
    j = one("ACTIONS", comment=comment)
    assert j.status is Status.ACCEPTED
    assert j.accepted[0].comment == comment  # type: ignore[attr-defined]


# --------------------------------------------------------------------------------------------------
# File-level codes


@pytest.mark.parametrize(
    "name",
    [
        "AG01_PAYMENT_20261125_01.csv",  # unknown TYPE
        "AG01_PAYMENTS_20261131_01.csv",  # 31 November does not exist
        "AG01_PAYMENTS_2026112_01.csv",
        "AG01_PAYMENTS_20261125_1.csv",
        "AG01_PAYMENTS_20261125_001.csv",
        "AG01_PAYMENTS_20261125_00.csv",
        "ag01_PAYMENTS_20261125_01.csv",
        "AG01_payments_20261125_01.csv",
        "AG01_PAYMENTS_20261125_01.CSV",
        "AG01_PAYMENTS_20261125_01.csv.part",
        "AG01_PAYMENTS_20261125_01.txt",
        "AG-01_PAYMENTS_20261125_01.csv",
        "AG02_PAYMENTS_20261125_01.csv",  # names another agency
    ],
)
def test_f001_bad_name(name: str) -> None:
    j = judge(content("PAYMENTS", row("PAYMENTS"), row("PAYMENTS", payment_id="P2")), name)
    assert j.status is Status.REJECTED
    assert file_code(j) == "F001"
    # Rejected whole, its records are counted as rejected.
    assert (j.ack["rows_received"], j.ack["rows_rejected"], j.ack["rows_accepted"]) == (2, 2, 0)
    assert codes(j) == ["F001", "F001"]
    assert_nothing_lost(j)


def test_f001_names_another_agency_even_when_its_own_name_is_well_formed() -> None:
    j = judge(content("PAYMENTS", row("PAYMENTS")), "AG01_PAYMENTS_20261125_01.csv", agency="AG02")
    assert file_code(j) == "F001" and "AG02" in j.file_errors[0].detail


def test_f002_not_utf8() -> None:
    data = content("ACTIONS", row("ACTIONS")) + "D1;A2;2026-11-10;CALL;NO_ANSWER;;;Société".encode("latin-1")
    j = judge(data, name_of("ACTIONS"))
    assert file_code(j) == "F002"
    assert j.ack["rows_received"] == 0 and j.rejects == ()


@pytest.mark.parametrize(
    ("data", "why"),
    [
        (b"", "empty"),
        (b"\xef\xbb\xbf", "empty"),
        (b"\nD1;P1;2026-11-10;1500.00;BANK_TRANSFER;\n", "blank"),
        (b"dossier_id;payment_id;payment_date;amount;receipt_ref\nD1;P1;2026-11-10;1500.00;R\n", "channel"),
        (b"dossier_id;payment_id;payment_date;amount;channel;amount\nD1;P1;2026-11-10;1;CHEQUE;1\n", "twice"),
        (b"Dossier_ID;payment_id;payment_date;amount;channel\nD1;P1;2026-11-10;1;CHEQUE\n", "dossier_id"),
        (b"D1;P1;2026-11-10;1500.00;BANK_TRANSFER;\nD1;P2;2026-11-10;1500.00;BANK_TRANSFER;\n", "no column"),
    ],
)
def test_f003_header(data: bytes, why: str) -> None:
    j = judge(data)
    assert j.status is Status.REJECTED
    assert file_code(j) == "F003"
    assert why in j.file_errors[0].detail
    assert_nothing_lost(j)


def test_f003_counts_the_records_it_can() -> None:
    missing_channel = b"dossier_id;payment_id;payment_date;amount\nD1;P1;2026-11-10;1\nD1;P2;2026-11-10;1\n"
    assert judge(missing_channel).ack["rows_rejected"] == 2
    no_header = b"D1;P1;2026-11-10;1500.00;BANK_TRANSFER;\nD1;P2;2026-11-10;1500.00;BANK_TRANSFER;\n"
    assert judge(no_header).ack["rows_rejected"] == 2  # no header: line 1 is a record too
    assert judge(b"").ack["rows_received"] == 0


def _sidecar(data: bytes, suffix: str = "") -> bytes:
    return (hashlib.sha256(data).hexdigest() + suffix + "\n").encode()


@pytest.mark.parametrize(
    "suffix", ["", "  AG01_PAYMENTS_20261125_01.csv", " *AG01_PAYMENTS_20261125_01.csv",
               "  inbox/AG01_PAYMENTS_20261125_01.csv"],
)
def test_sidecar_that_matches_with_or_without_file_name(suffix: str) -> None:
    data = content("PAYMENTS", row("PAYMENTS"))
    assert judge(data, sidecar=_sidecar(data, suffix)).status is Status.ACCEPTED


def test_sidecar_digest_is_compared_case_insensitively() -> None:
    data = content("PAYMENTS", row("PAYMENTS"))
    assert judge(data, sidecar=_sidecar(data).upper()).status is Status.ACCEPTED


@pytest.mark.parametrize(
    "sidecar",
    [
        b"0" * 64 + b"\n",
        b"",
        b"not a digest\n",
        None,  # replaced below by the right digest naming another file
    ],
)
def test_f004_sidecar_does_not_match(sidecar: bytes | None) -> None:
    data = content("PAYMENTS", row("PAYMENTS"))
    if sidecar is None:
        sidecar = _sidecar(data, "  AG01_PAYMENTS_20261125_02.csv")
    j = judge(data, sidecar=sidecar)
    assert file_code(j) == "F004"
    assert j.ack["rows_rejected"] == 1


def test_f005_larger_than_50_mib() -> None:
    big = "x" * (50 * 1024 * 1024)
    data = content("ACTIONS", row("ACTIONS", comment=big))
    assert len(data) > 50 * 1024 * 1024
    j = judge(data, name_of("ACTIONS"))
    assert file_code(j) == "F005"
    # judged as a file on disk would be: from its size, its records not read nor counted
    assert (j.ack["rows_received"], j.sha256) == (0, UNREAD_SHA256)


def test_a_file_above_the_limit_is_judged_f005_from_its_size_without_being_read(tmp_path: Path) -> None:
    path = tmp_path / "AG01_PAYMENTS_20261125_01.csv"
    with path.open("wb") as fh:
        fh.truncate(MAX_FILE_BYTES + 1)  # sparse; read, it would be 50 MiB of NUL bytes (F008)
    (tmp_path / (path.name + ".sha256")).write_text("f" * 64)  # a wrong sidecar: F005 comes first
    j = judge_file(path, "AG01", CONTEXT, InMemoryReturnHistory(), AS_OF, NOW)
    assert j == judge_unread(path.name, MAX_FILE_BYTES + 1, "AG01", InMemoryReturnHistory(), received_at=NOW)
    assert (j.status, j.sha256, j.record_type, j.rejects, j.ack["rows_received"]) == (
        Status.REJECTED, UNREAD_SHA256, "PAYMENTS", (), 0)
    assert j.ack["file_errors"] == [{"code": "F005", "detail": (
        "52,428,801 bytes, more than the 50 MiB (52,428,800 bytes) accepted; the file was not read "
        "(sha256 not computed)")}]


def test_a_sidecar_above_4_kib_is_not_read_and_fails_its_check(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "AG01_PAYMENTS_20261125_01.csv"
    data = content("PAYMENTS", row("PAYMENTS"))
    path.write_bytes(data)
    sidecar = tmp_path / (path.name + ".sha256")
    sidecar.write_bytes(_sidecar(data, "  " + path.name) + b"\n" * 5000)  # right digest, then padding
    read = Path.read_bytes

    def read_bytes(self: Path) -> bytes:
        assert self != sidecar, "the sidecar was read"
        return read(self)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    j = judge_file(path, "AG01", CONTEXT, InMemoryReturnHistory(), AS_OF, NOW)
    assert file_code(j) == "F004" and "does not start with a sha256 hex digest" in j.file_errors[0].detail


def test_a_file_never_read_follows_the_contracts_order_f001_f007_then_f005() -> None:
    big = MAX_FILE_BYTES + 1
    history = InMemoryReturnHistory()
    wrong = judge_unread("AG02_PAYMENTS_20261125_01.csv", big, "AG01", history, received_at=NOW)
    assert file_code(wrong) == "F001" and wrong.record_type == "PAYMENTS"
    assert file_code(judge_unread("notes.txt", big, "AG01", history, received_at=NOW)) == "F001"
    first = judge_unread("AG01_PAYMENTS_20261125_01.csv", big, "AG01", history, received_at=NOW)
    history.remember(first)
    # the same name and size again: without its bytes, nothing says it is other content
    assert file_code(judge_unread(first.file_name, big, "AG01", history, received_at=NOW)) == "F005"
    # a file of the right size under that name differs from the one refused: F007
    again = judge(content("PAYMENTS", row("PAYMENTS")), first.file_name, history=history)
    assert file_code(again) == "F007" and "(larger than the limit, not read)" in again.file_errors[0].detail
    # a name first received with content the fund read, reused by a file too large: F007 too
    read = judge(content("PAYMENTS", row("PAYMENTS")), "AG01_PAYMENTS_20261125_02.csv", history=history)
    history.remember(read)
    assert file_code(judge_unread(read.file_name, big, "AG01", history, received_at=NOW)) == "F007"
    with pytest.raises(ValueError, match="within the limit"):
        judge_unread(read.file_name, MAX_FILE_BYTES, "AG01", history, received_at=NOW)


def test_f005_limit_is_inclusive(monkeypatch: pytest.MonkeyPatch) -> None:
    data = content("PAYMENTS", row("PAYMENTS"))
    monkeypatch.setattr("recouvra.returns.judge.MAX_FILE_BYTES", len(data))
    assert judge(data).status is Status.ACCEPTED
    monkeypatch.setattr("recouvra.returns.judge.MAX_FILE_BYTES", len(data) - 1)
    assert file_code(judge(data)) == "F005"


@pytest.mark.parametrize("data", [
    b"dossier_id;payment_id;payment_date;amount;channel\n",
    b"dossier_id;payment_id;payment_date;amount;channel\r\n\r\n\n  \n",
])
def test_f006_no_data_row(data: bytes) -> None:
    j = judge(data)
    assert file_code(j) == "F006" and j.status is Status.REJECTED
    assert j.ack["rows_received"] == 0


def test_f007_name_reused_with_other_content() -> None:
    history = InMemoryReturnHistory()
    first = judge(content("PAYMENTS", row("PAYMENTS")), history=history)
    history.remember(first)
    j = judge(content("PAYMENTS", row("PAYMENTS", payment_id="P9")), history=history)
    assert file_code(j) == "F007"
    assert j.ack["rows_rejected"] == 1


@pytest.mark.parametrize(
    ("tail", "words"),
    [
        (b'D1;P2;2026-11-10;1500.00;BANK_TRANSFER;"never closed\n', "never closed"),
        (b"D1;P2;2026-11-10;1500.00;BANK_TRANSFER;R\x002\n", "NUL"),
        (b"D1;P2;2026-11-10;1500.00;BANK_TRANSFER;R2\rD1;P3;2026-11-10;1;CHEQUE;\n", "carriage return"),
    ],
)
def test_f008_not_parseable(tail: bytes, words: str) -> None:
    j = judge(content("PAYMENTS", row("PAYMENTS")) + tail)
    assert file_code(j) == "F008"
    assert words in j.file_errors[0].detail and "line 3" in j.file_errors[0].detail
    assert j.ack["rows_received"] == 0


# File-level precedence: F001, F007, F005, F004, F002, F008, F003, F006 (only the first is reported).

LATIN1 = "D1;P2;2026-11-10;1;CHEQUE;Société\n".encode("latin-1")


@pytest.mark.parametrize(
    ("name", "data", "sidecar", "limit", "expected"),
    [
        ("AG01_PAYMENT_20261125_01.csv", b"", b"0" * 64, 0, "F001"),
        ("AG01_PAYMENTS_20261125_01.csv", content("PAYMENTS", row("PAYMENTS")), b"0" * 64, 10, "F005"),
        ("AG01_PAYMENTS_20261125_01.csv", LATIN1, b"0" * 64, None, "F004"),
        ("AG01_PAYMENTS_20261125_01.csv", LATIN1 + b"\x00\r", None, None, "F002"),
        ("AG01_PAYMENTS_20261125_01.csv", b"dossier_id;x\n\x00", None, None, "F008"),
        ("AG01_PAYMENTS_20261125_01.csv", b"dossier_id;payment_id\n", None, None, "F003"),
    ],
)
def test_file_codes_are_checked_in_the_contract_order(
    monkeypatch: pytest.MonkeyPatch, name: str, data: bytes, sidecar: bytes | None, limit: int | None,
    expected: str,
) -> None:
    if limit is not None:
        monkeypatch.setattr("recouvra.returns.judge.MAX_FILE_BYTES", limit)
    j = judge(data, name, sidecar=sidecar)
    assert [e.code for e in j.file_errors] == [expected]


def test_f007_comes_before_f005(monkeypatch: pytest.MonkeyPatch) -> None:
    history = InMemoryReturnHistory()
    history.remember(judge(content("PAYMENTS", row("PAYMENTS")), history=history))
    monkeypatch.setattr("recouvra.returns.judge.MAX_FILE_BYTES", 10)
    assert file_code(judge(content("PAYMENTS", row("PAYMENTS", payment_id="P2")), history=history)) == "F007"


# --------------------------------------------------------------------------------------------------
# Row-level codes, one by one


@pytest.mark.parametrize(
    ("rtype", "changes", "code"),
    [
        # E001 unknown dossier, E002 another agency's
        ("PAYMENTS", {"dossier_id": "D404"}, "E001"),
        ("PAYMENTS", {"dossier_id": "D2"}, "E002"),
        # E003 outside the window (bounds inclusive) or after the recall
        ("PAYMENTS", {"dossier_id": "D4", "payment_date": "2026-11-04"}, "E003"),
        ("PAYMENTS", {"dossier_id": "D4", "payment_date": "2026-11-05"}, None),
        ("ACTIONS", {"action_date": "2026-10-31"}, "E003"),
        ("CONTACTS", {"dossier_id": "D3", "observed_date": "2026-11-21"}, "E003"),
        ("CONTACTS", {"dossier_id": "D3", "observed_date": "2026-11-20"}, None),
        ("PLANS", {"dossier_id": "D3", "request_date": "2026-11-21"}, "E003"),
        ("CLOSURES", {"dossier_id": "D3", "closure_date": "2026-11-24"}, "E003"),
        # E004 date form, impossible date, event after the judging day; promise/due dates may lie ahead
        ("PAYMENTS", {"payment_date": "2026/11/10"}, "E004"),
        ("PAYMENTS", {"payment_date": "2026-11-1"}, "E004"),
        ("PAYMENTS", {"payment_date": "2026-02-30"}, "E004"),
        ("PAYMENTS", {"payment_date": "10-11-2026"}, "E004"),
        ("PAYMENTS", {"payment_date": "2026-11-26"}, "E004"),
        ("PAYMENTS", {"payment_date": "2026-11-25"}, None),
        ("ACTIONS", {"action_date": "2026-12-01"}, "E004"),
        ("CONTACTS", {"observed_date": "2026-13-01"}, "E004"),
        ("PLANS", {"request_date": "2027-01-01"}, "E004"),
        ("CLOSURES", {"closure_date": "2026-11-26"}, "E004"),
        ("PLANS", {"first_due_date": "2027-01-05"}, None),
        ("PLANS", {"first_due_date": "2027-02-29"}, "E004"),
        ("ACTIONS", {"outcome": "PROMISE_TO_PAY", "promise_amount": "500", "promise_date": "2027-01-15"},
         None),
        ("ACTIONS", {"outcome": "PROMISE_TO_PAY", "promise_amount": "500", "promise_date": "15/01/2027"},
         "E004"),
        # E005 amount form, zero
        ("PAYMENTS", {"amount": "1,500.00"}, "E005"),
        ("PAYMENTS", {"amount": "1 500.00"}, "E005"),
        ("PAYMENTS", {"amount": "1500.005"}, "E005"),
        ("PAYMENTS", {"amount": "-15"}, "E005"),
        ("PAYMENTS", {"amount": "+15"}, "E005"),
        ("PAYMENTS", {"amount": "1e3"}, "E005"),
        ("PAYMENTS", {"amount": ".5"}, "E005"),
        ("PAYMENTS", {"amount": "5."}, "E005"),
        ("PAYMENTS", {"amount": "١٠٠"}, "E005"),  # Arabic-Indic digits are not the format
        ("PAYMENTS", {"amount": "0"}, "E005"),
        ("PAYMENTS", {"amount": "0.00"}, "E005"),
        ("PAYMENTS", {"amount": "0.5"}, None),
        ("PAYMENTS", {"amount": "15"}, None),
        ("PLANS", {"total_amount": "0"}, "E005"),
        ("ACTIONS", {"outcome": "PROMISE_TO_PAY", "promise_amount": "0", "promise_date": "2027-01-15"},
         "E005"),
        # E006 unknown code
        ("ACTIONS", {"action_type": "PHONE_CALL"}, "E006"),
        ("ACTIONS", {"outcome": "PROMISED"}, "E006"),
        ("PAYMENTS", {"channel": "cheque"}, "E006"),
        ("PLANS", {"status": "CANCELLED"}, "E006"),
        ("CLOSURES", {"reason": "PAID"}, "E006"),
        ("CONTACTS", {"field": "FAX"}, "E006"),
        ("CONTACTS", {"field": "ACTIVITY_STATUS", "value": "CLOSED"}, "E006"),
        # E007 required value missing
        ("PAYMENTS", {"amount": ""}, "E007"),
        ("PAYMENTS", {"payment_id": ""}, "E007"),
        ("PAYMENTS", {"dossier_id": "   "}, "E007"),
        ("PAYMENTS", {"receipt_ref": ""}, None),
        ("CONTACTS", {"value": ""}, "E007"),
        ("ACTIONS", {"outcome": "PROMISE_TO_PAY"}, "E007"),
        ("ACTIONS", {"outcome": "PROMISE_TO_PAY", "promise_amount": "500"}, "E007"),
        ("ACTIONS", {"outcome": "PROMISE_TO_PAY", "promise_date": "2027-01-15"}, "E007"),
        # E009 above total_due as assigned (equal is fine)
        ("PAYMENTS", {"amount": "10000.01"}, "E009"),
        ("PAYMENTS", {"amount": "10000"}, None),
        ("PLANS", {"total_amount": "12000.00"}, "E009"),
        ("ACTIONS", {"outcome": "PROMISE_TO_PAY", "promise_amount": "10000.50", "promise_date": "2027-01-15"},
         "E009"),
        # E012 value fails its format
        ("CONTACTS", {"value": "06 12 34"}, "E012"),
        ("CONTACTS", {"value": "+33 6 12 34 56 78"}, "E012"),
        ("CONTACTS", {"value": "06 CNSS 1234"}, "E012"),
        ("CONTACTS", {"field": "EMAIL", "value": "karim.atlas.ma"}, "E012"),
        ("CONTACTS", {"field": "EMAIL", "value": "a@b@atlas.ma"}, "E012"),
        ("CONTACTS", {"field": "EMAIL", "value": "a@atlas.ma; b@atlas.ma"}, "E012"),
        ("CONTACTS", {"field": "EMAIL", "value": "a b@atlas.ma"}, "E012"),
        ("CONTACTS", {"field": "EMAIL", "value": "karim@atlas"}, "E012"),
        ("CONTACTS", {"field": "ADDRESS", "value": "Lot 12, Zone industrielle"}, None),
        ("PLANS", {"installments": "1"}, "E012"),
        ("PLANS", {"installments": "37"}, "E012"),
        ("PLANS", {"installments": "2"}, None),
        ("PLANS", {"installments": "36"}, None),
        ("PLANS", {"installments": "6.0"}, "E012"),
        ("PLANS", {"installments": "six"}, "E012"),
        ("ACTIONS", {"comment": "x" * 1001}, "E012"),
        ("ACTIONS", {"comment": "x" * 1000}, None),
    ],
)
def test_row_code(rtype: str, changes: dict[str, str], code: str | None) -> None:
    j = one(rtype, **changes)
    assert codes(j) == ([code] if code else []), j.rejects
    assert_nothing_lost(j)
    if code:
        assert j.status is Status.REJECTED  # its only row was rejected
        reject = j.rejects[0]
        assert reject.line_no == 2 and reject.detail
        assert reject.record_id == row(rtype, **changes)[1]


def test_e010_wrong_number_of_cells() -> None:
    short, long = b"D1;P2;2026-11-10;1500.00;CHEQUE\n", b"D1;P3;2026-11-10;1;CHEQUE;;x\n"
    data = content("PAYMENTS", row("PAYMENTS")) + short + long
    j = judge(data)
    assert [(r.line_no, r.reason_code) for r in j.rejects] == [(3, "E010"), (4, "E010")]
    assert j.status is Status.PARTIAL


def test_e008_id_repeated_within_the_file_first_stands() -> None:
    data = content("PAYMENTS", row("PAYMENTS"), row("PAYMENTS", amount="99"), row("PAYMENTS"))
    j = judge(data)
    assert [r.line_no for r in j.accepted] == [2]
    assert j.accepted[0].amount == Decimal("1500.00")  # type: ignore[attr-defined]
    assert [(r.line_no, r.reason_code) for r in j.rejects] == [(3, "E008"), (4, "E008")]
    assert "line 2" in j.rejects[0].detail


def test_e008_first_occurrence_stands_even_when_it_is_rejected() -> None:
    data = content("PAYMENTS", row("PAYMENTS", dossier_id="D404"), row("PAYMENTS"))
    assert codes(judge(data)) == ["E001", "E008"]


def test_plans_requested_then_signed_are_two_records() -> None:
    data = content("PLANS", row("PLANS"), row("PLANS", status="SIGNED", request_date="2026-11-12"))
    j = judge(data, name_of("PLANS"))
    assert j.status is Status.ACCEPTED
    assert [r.key for r in j.accepted] == ["PL1#REQUESTED", "PL1#SIGNED"]
    again = judge(content("PLANS", row("PLANS"), row("PLANS")), name_of("PLANS"))
    assert codes(again) == ["E008"]


def test_plan_signed_in_a_later_file_is_a_new_record() -> None:
    history = InMemoryReturnHistory()
    first = judge(content("PLANS", row("PLANS")), name_of("PLANS"), history=history)
    history.remember(first)
    signed = judge(content("PLANS", row("PLANS", status="SIGNED")), name_of("PLANS", seq=2), history=history)
    assert signed.status is Status.ACCEPTED and signed.accepted[0].key == "PL1#SIGNED"
    changed = judge(
        content("PLANS", row("PLANS", installments="12")), name_of("PLANS", seq=3), history=history
    )
    assert codes(changed) == ["E011"]


# --------------------------------------------------------------------------------------------------
# Row-level precedence: E010; E007; forms in the file's column order; E001, E002, E003, E009, E008, E011


@pytest.mark.parametrize(
    ("rtype", "header", "changes", "expected"),
    [
        ("PAYMENTS", None, {"amount": "", "payment_date": "bad"}, "E007"),
        ("PAYMENTS", None, {"payment_date": "bad", "amount": "bad", "channel": "bad"}, "E004"),
        ("PAYMENTS", ["dossier_id", "payment_id", "amount", "payment_date", "channel", "receipt_ref"],
         {"payment_date": "bad", "amount": "bad", "channel": "bad"}, "E005"),
        ("PAYMENTS", ["channel", "dossier_id", "payment_id", "amount", "payment_date"],
         {"payment_date": "bad", "amount": "bad", "channel": "bad"}, "E006"),
        ("PLANS", None, {"installments": "40", "total_amount": "0", "status": "X"}, "E012"),
        ("PLANS", ["dossier_id", "plan_id", "request_date", "total_amount", "installments", "first_due_date",
                   "status"], {"installments": "40", "total_amount": "0"}, "E005"),
        ("CONTACTS", ["dossier_id", "update_id", "value", "observed_date", "field"],
         {"value": "not a phone", "observed_date": "bad"}, "E012"),
        ("CONTACTS", None, {"value": "not a phone", "observed_date": "bad"}, "E012"),
        ("CONTACTS", None, {"field": "NOPE", "observed_date": "bad"}, "E006"),
        ("PAYMENTS", None, {"dossier_id": "D404", "payment_date": "2030-01-01"}, "E004"),
        ("PAYMENTS", None, {"dossier_id": "D404", "amount": "99999999"}, "E001"),
        ("PAYMENTS", None, {"dossier_id": "D2", "payment_date": "2026-10-01"}, "E002"),
        ("PAYMENTS", None, {"payment_date": "2026-10-01", "amount": "99999999"}, "E003"),
        ("ACTIONS", None, {"outcome": "PROMISE_TO_PAY", "action_date": "2026-10-01"}, "E007"),
        ("ACTIONS", None, {"outcome": "PROMISE_TO_PAY", "promise_amount": "99999",
                           "promise_date": "2027-01-01", "action_date": "2026-10-01"}, "E003"),
    ],
)
def test_a_row_gets_the_first_code_in_the_contract_order(
    rtype: str, header: list[str] | None, changes: dict[str, str], expected: str
) -> None:
    j = one(rtype, header, **changes)
    assert codes(j) == [expected], j.rejects


def test_e010_comes_before_e007() -> None:
    data = content("PAYMENTS", row("PAYMENTS")) + b";;;\n"
    assert codes(judge(data)) == ["E010"]


def test_e009_comes_before_e008_and_e008_before_e011() -> None:
    history = InMemoryReturnHistory()
    history.remember(judge(content("PAYMENTS", row("PAYMENTS", amount="1")), history=history))
    data = content("PAYMENTS", row("PAYMENTS"), row("PAYMENTS", amount="20000"), row("PAYMENTS", amount="2"))
    j = judge(data, name_of("PAYMENTS", seq=2), history=history)
    # Line 2 differs from what was received (E011); line 3 is too high (E009); line 4 repeats (E008).
    assert [(r.line_no, r.reason_code) for r in j.rejects] == [(2, "E011"), (3, "E009"), (4, "E008")]


# --------------------------------------------------------------------------------------------------
# History: re-delivered files and re-sent records


def test_redelivered_file_is_duplicate_whatever_its_name() -> None:
    history = InMemoryReturnHistory()
    data = content("PAYMENTS", row("PAYMENTS"), row("PAYMENTS", payment_id="P2", dossier_id="D404"))
    first = judge(data, history=history)
    assert first.status is Status.PARTIAL
    history.remember(first)
    for name in ("AG01_PAYMENTS_20261125_01.csv", "AG01_PAYMENTS_20261126_07.csv"):
        j = judge(data, name, history=history)
        assert j.status is Status.DUPLICATE
        assert (j.ack["rows_received"], j.ack["rows_duplicate"], j.ack["rows_rejected"]) == (2, 2, 0)
        assert j.file_errors == () and j.rejects == () and j.accepted == ()
    # Another agency's history is its own.
    other = judge(data, "AG02_PAYMENTS_20261125_01.csv", history=history, agency="AG02")
    assert other.status is not Status.DUPLICATE


def test_a_file_rejected_whole_may_be_sent_again_unchanged_under_a_correct_name() -> None:
    history = InMemoryReturnHistory()
    data = content("PAYMENTS", row("PAYMENTS"))
    bad = judge(data, "AG01_PAYMENT_20261125_01.csv", history=history)
    history.remember(bad)
    assert judge(data, history=history).status is Status.ACCEPTED


def test_resent_record_same_content_is_duplicate_other_content_is_e011() -> None:
    history = InMemoryReturnHistory()
    first = judge(content("PAYMENTS", row("PAYMENTS"), row("PAYMENTS", payment_id="P2")), history=history)
    history.remember(first)
    # Same content written differently (amount 1500 vs 1500.00, columns reordered) is the same record.
    header = list(reversed(HEADERS["PAYMENTS"]))
    data = content(
        "PAYMENTS",
        row("PAYMENTS", header, amount="1500"),
        row("PAYMENTS", header, payment_id="P2", amount="1600.00"),
        row("PAYMENTS", header, payment_id="P3"),
        header=header,
    )
    j = judge(data, name_of("PAYMENTS", seq=2), history=history)
    assert [(d.line_no, d.record_id) for d in j.duplicates] == [(2, "P1")]
    assert [(r.line_no, r.record_id, r.reason_code) for r in j.rejects] == [(3, "P2", "E011")]
    assert [r.record_id for r in j.accepted] == ["P3"]
    assert j.status is Status.PARTIAL
    assert (j.ack["rows_received"], j.ack["rows_accepted"], j.ack["rows_rejected"], j.ack["rows_duplicate"]) \
        == (3, 1, 1, 1)


def test_a_rejected_record_may_be_corrected_under_the_same_id() -> None:
    history = InMemoryReturnHistory()
    history.remember(judge(content("PAYMENTS", row("PAYMENTS", amount="0")), history=history))
    j = judge(content("PAYMENTS", row("PAYMENTS")), name_of("PAYMENTS", seq=2), history=history)
    assert j.status is Status.ACCEPTED


# --------------------------------------------------------------------------------------------------
# Status


@pytest.mark.parametrize(
    ("rows", "status"),
    [
        ([{}], Status.ACCEPTED),
        ([{}, {"payment_id": "P2", "amount": "x"}], Status.PARTIAL),
        ([{"amount": "x"}, {"payment_id": "P2", "amount": "y"}], Status.REJECTED),
    ],
)
def test_status(rows: list[dict[str, Any]], status: Status) -> None:
    j = judge(content("PAYMENTS", *[row("PAYMENTS", **r) for r in rows]))
    assert j.status is status and j.ack["status"] == status.value
    assert j.ack["file_errors"] == []


def test_only_duplicates_is_accepted() -> None:
    history = InMemoryReturnHistory()
    history.remember(judge(content("PAYMENTS", row("PAYMENTS")), history=history))
    j = judge(content("PAYMENTS", row("PAYMENTS")) + b"\n", name_of("PAYMENTS", seq=2), history=history)
    assert j.status is Status.ACCEPTED and j.ack["rows_duplicate"] == 1 and j.ack["rows_accepted"] == 0


def test_rejects_csv_text() -> None:
    j = judge(content("PAYMENTS", row("PAYMENTS", payment_id="=P1", amount="x")))
    text = j.rejects_csv()
    lines = text.splitlines()
    assert lines[0] == "line_no;record_id;reason_code;detail"
    assert lines[1].startswith("2;'=P1;E005;")  # the agency's id, guarded like free text
    assert judge(content("PAYMENTS", row("PAYMENTS"))).rejects_csv() == ""


def test_judge_file_reads_the_sidecar(tmp_path: Path) -> None:
    path = tmp_path / "AG01_PAYMENTS_20261125_01.csv"
    data = content("PAYMENTS", row("PAYMENTS"))
    path.write_bytes(data)
    history = InMemoryReturnHistory()
    assert judge_file(path, "AG01", CONTEXT, history, AS_OF, NOW).status is Status.ACCEPTED
    (tmp_path / (path.name + ".sha256")).write_bytes(b"ab" * 32)
    assert file_code(judge_file(path, "AG01", CONTEXT, history, AS_OF, NOW)) == "F004"
    (tmp_path / (path.name + ".sha256")).write_bytes(_sidecar(data, "  " + path.name))
    assert judge_file(path, "AG01", CONTEXT, history, AS_OF, NOW).status is Status.ACCEPTED


def test_judge_file_finds_no_sidecar_where_its_name_could_not_be_a_file_name(tmp_path: Path) -> None:
    """An agency code long enough makes a well-formed name of 249 bytes or more, whose
    <name>.sha256 cannot exist: no sidecar, not an unreadable one (F004)."""
    agency = "A" * 226
    path = tmp_path / f"{agency}_PAYMENTS_20261125_01.csv"
    assert len(path.name) == 251
    path.write_bytes(content("PAYMENTS", row("PAYMENTS")))
    judged = judge_file(path, agency, ExchangeContext(), InMemoryReturnHistory(), AS_OF, NOW)
    assert judged.file_errors == () and judged.rows_received == 1  # judged on its rows (E001: no dossier)

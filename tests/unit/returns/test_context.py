"""The fund's side of the exchange read back: assignments and recalls as the judge's context."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from recouvra.returns import Dossier, ExchangeContext, ExchangeContextError, load_context
from recouvra.returns.context import load_assignments, load_recalls

START, END = dt.date(2026, 11, 1), dt.date(2027, 4, 30)
ASSIGN_HEADER = b"dossier_id;total_due;assignment_start;assignment_end\n"


def assignment(folder: Path, body: bytes, name: str = "CNSS_ASSIGN_AG01_202611_01.csv") -> Path:
    path = folder / name
    path.write_bytes(body)
    return path



def test_load_context_reads_agency_from_the_name_and_applies_recalls(fund_files: dict[str, Path]) -> None:
    ctx = load_context([fund_files["ag01"], fund_files["ag02"]], [fund_files["recall"]])
    d1 = ctx.get("D202611-000001")
    assert d1 is not None and d1.agency == "AG01" and d1.total_due == Decimal("12500.40")
    assert (d1.assignment_start, d1.assignment_end, d1.recall_date) == (START, END, None)
    assert ctx.get("D202611-000101").agency == "AG02"  # type: ignore[union-attr]
    assert ctx.get("D202611-000002").recall_date == dt.date(2026, 11, 20)  # type: ignore[union-attr]


def test_load_context_accepts_bom_crlf_and_only_the_needed_columns(tmp_path: Path) -> None:
    path = tmp_path / "CNSS_ASSIGN_AG03_202611_02.csv"
    path.write_bytes(b"\xef\xbb\xbfassignment_end;dossier_id;total_due;assignment_start\r\n"
                     b"2027-04-30;D7;10.50;2026-11-01\r\n")
    assert load_context([path]).get("D7").total_due == Decimal("10.50")  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"dossier_id;total_due;assignment_start\nD1;1;2026-11-01\n", "assignment_end"),
        (b"dossier_id;total_due;assignment_start;assignment_end\nD1;abc;2026-11-01;2027-04-30\n", "amount"),
        (b"dossier_id;total_due;assignment_start;assignment_end\nD1;1;2026-11-31;2027-04-30\n", "date"),
        (b"dossier_id;total_due;assignment_start;assignment_end\nD1;1;2026-11-01\n", "cells"),
        (b"dossier_id;total_due;assignment_start;assignment_end\nD1;1;2026-11-01;2027-04-30\n"
         b"D1;2;2026-11-01;2027-04-30\n", "twice"),
    ],
)
def test_load_context_refuses_unusable_assignment_files(tmp_path: Path, content: bytes, words: str) -> None:
    path = tmp_path / "CNSS_ASSIGN_AG01_202611_01.csv"
    path.write_bytes(content)
    with pytest.raises(ExchangeContextError) as info:
        load_context([path])
    assert words in str(info.value)


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"", "header missing"),
        (b"\n\n", "header missing"),
        (ASSIGN_HEADER + b";1;2026-11-01;2027-04-30\n", "empty dossier_id"),
        (ASSIGN_HEADER + b"D1;NaN;2026-11-01;2027-04-30\n", "is not an amount"),
        (ASSIGN_HEADER + b"D1;Infinity;2026-11-01;2027-04-30\n", "is not an amount"),
        (ASSIGN_HEADER + b"D1;1;01/11/2026;2027-04-30\n", "is not a date YYYY-MM-DD"),
        (ASSIGN_HEADER + b"D1;1;2026-11-01;2027-04-30\n\xff\n", "not valid UTF-8"),
        (ASSIGN_HEADER + b'D1;1;"2026-11-01;2027-04-30\n', "line 2"),
    ],
)
def test_unusable_assignment_content_names_the_file_and_why(
    tmp_path: Path, content: bytes, words: str
) -> None:
    path = assignment(tmp_path, content)
    with pytest.raises(ExchangeContextError) as info:
        load_assignments([path])
    assert words in str(info.value) and str(path) in str(info.value)


def test_an_error_names_line_and_column(tmp_path: Path) -> None:
    path = assignment(tmp_path, ASSIGN_HEADER + b"D1;1;2026-11-01;2027-04-30\nD2;x;2026-11-01;2027-04-30\n")
    with pytest.raises(ExchangeContextError) as info:
        load_assignments([path])
    assert (info.value.line, info.value.field, info.value.file) == (3, "total_due", str(path))


@pytest.mark.parametrize("name", ["assign_AG01_202611_01.csv", "CNSS_ASSIGN_AG01_2026_01.csv",
                                  "CNSS_RECALL_AG01_20261120_01.csv"])
def test_assignment_file_name_must_follow_the_contract(tmp_path: Path, name: str) -> None:
    path = assignment(tmp_path, ASSIGN_HEADER + b"D1;1;2026-11-01;2027-04-30\n", name)
    with pytest.raises(ExchangeContextError, match="not an assignment file name"):
        load_assignments([path])


def test_a_missing_file_is_a_context_error(tmp_path: Path) -> None:
    with pytest.raises(ExchangeContextError, match="cannot read the file"):
        load_assignments([tmp_path / "CNSS_ASSIGN_AG01_202611_01.csv"])


def test_assignments_ignore_blank_lines_and_accept_a_dossier_listed_twice_alike(tmp_path: Path) -> None:
    first = assignment(tmp_path, ASSIGN_HEADER + b"D1;100.5;2026-11-01;2027-04-30\n\n"
                                                 b"D2;7;2026-11-05;2027-04-30\n")
    again = assignment(tmp_path, ASSIGN_HEADER + b"D1;100.50;2026-11-01;2027-04-30\n",
                       "CNSS_ASSIGN_AG01_202611_02.csv")
    assert load_assignments([first, again]) == {
        "D1": Dossier("D1", "AG01", START, END, Decimal("100.50")),
        "D2": Dossier("D2", "AG01", dt.date(2026, 11, 5), END, Decimal("7")),
    }


def test_the_same_dossier_given_to_two_agencies_is_refused(tmp_path: Path) -> None:
    ag01 = assignment(tmp_path, ASSIGN_HEADER + b"D1;1;2026-11-01;2027-04-30\n")
    ag02 = assignment(tmp_path, ASSIGN_HEADER + b"D1;1;2026-11-01;2027-04-30\n",
                      "CNSS_ASSIGN_AG02_202611_01.csv")
    with pytest.raises(ExchangeContextError, match="assigned twice with different terms"):
        load_assignments([ag01, ag02])


def test_recalls_keep_the_earliest_date_of_a_dossier(tmp_path: Path) -> None:
    header = b"dossier_id;recall_date;reason\n"
    a = tmp_path / "CNSS_RECALL_AG01_20261120_01.csv"
    a.write_bytes(header + b"D1;2026-11-20;PAID_IN_FULL\nD2;2026-11-21;EXPIRED\n")
    b = tmp_path / "CNSS_RECALL_AG01_20261118_01.csv"
    b.write_bytes(header + b"D1;2026-11-18;FUND_DECISION\nD2;2026-11-25;EXPIRED\n")
    assert load_recalls([a, b]) == {"D1": dt.date(2026, 11, 18), "D2": dt.date(2026, 11, 21)}


@pytest.mark.parametrize(
    ("name", "body", "words"),
    [
        ("CNSS_RECALL_AG01_202611_01.csv", b"dossier_id;recall_date\nD1;2026-11-20\n",
         "not a recall file name"),
        ("CNSS_RECALL_AG01_20261120_01.csv", b"dossier_id\nD1\n", "recall_date"),
        ("CNSS_RECALL_AG01_20261120_01.csv", b"dossier_id;recall_date\nD1;2026-02-30\n", "not a date"),
    ],
)
def test_unusable_recall_files_are_refused(tmp_path: Path, name: str, body: bytes, words: str) -> None:
    path = tmp_path / name
    path.write_bytes(body)
    with pytest.raises(ExchangeContextError, match=words):
        load_recalls([path])


def test_a_recall_of_a_dossier_not_assigned_is_ignored(tmp_path: Path) -> None:
    path = assignment(tmp_path, ASSIGN_HEADER + b"D1;1;2026-11-01;2027-04-30\n")
    recall = tmp_path / "CNSS_RECALL_AG01_20261120_01.csv"
    recall.write_bytes(b"dossier_id;recall_date\nD9;2026-11-20\nD1;2026-11-22\n")
    context = load_context([path], [recall])
    assert context.dossiers == {"D1": Dossier("D1", "AG01", START, END, Decimal("1"), dt.date(2026, 11, 22))}
    assert context.get("D9") is None


def test_an_empty_context_knows_no_dossier() -> None:
    assert ExchangeContext().get("D1") is None
    assert load_context([]) == ExchangeContext({})

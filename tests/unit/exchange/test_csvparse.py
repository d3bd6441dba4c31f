"""The exchange's CSV reader: RFC 4180 cells, physical line numbers, and the F008 faults."""

from __future__ import annotations

import csv
import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from recouvra.exchange.csvparse import (
    CsvRow,
    begins_formula,
    decode_utf8,
    format_rows,
    formula_guard,
    parse_rows,
    unguard,
)
from recouvra.exchange.errors import CsvSyntaxError


def _cells(text: str) -> list[tuple[int, tuple[str, ...]]]:
    return [(r.line_no, r.cells) for r in parse_rows(text) if not r.blank]


def test_plain_rows_and_line_numbers() -> None:
    assert _cells("a;b\nc;d\n") == [(1, ("a", "b")), (2, ("c", "d"))]


def test_crlf_and_lf_may_mix() -> None:
    assert _cells("a;b\r\nc;d\ne;f\r\n") == [(1, ("a", "b")), (2, ("c", "d")), (3, ("e", "f"))]


def test_blank_lines_count_as_lines_but_are_not_records() -> None:
    rows = parse_rows("h1;h2\n\n   \nx;y\n")
    assert [(r.line_no, r.blank) for r in rows] == [(1, False), (2, True), (3, True), (4, False)]


def test_quoted_delimiter_quote_and_newlines_move_the_next_record_down() -> None:
    text = 'h;c\n1;"a;b"\n2;"say ""hi""\nsecond line\r\nthird"\n3;x\n'
    assert _cells(text) == [
        (1, ("h", "c")),
        (2, ("1", "a;b")),
        (3, ("2", 'say "hi"\nsecond line\r\nthird')),
        (6, ("3", "x")),
    ]


def test_carriage_return_inside_quotes_is_kept_and_does_not_start_a_line() -> None:
    assert _cells('a;"x\ry"\nb;c') == [(1, ("a", "x\ry")), (2, ("b", "c"))]


def test_last_line_without_line_end() -> None:
    assert _cells("a;b\nc;d") == [(1, ("a", "b")), (2, ("c", "d"))]


def test_empty_cells_are_kept() -> None:
    assert _cells(';;\n"";x;\n') == [(1, ("", "", "")), (2, ("", "x", ""))]


def test_arabic_text() -> None:
    assert _cells("h;v\n1;شركة الأطلس للنسيج\n") == [(1, ("h", "v")), (2, ("1", "شركة الأطلس للنسيج"))]


def test_bom_is_dropped_once() -> None:
    assert decode_utf8("\ufeffh;v".encode()) == "h;v"
    assert decode_utf8(b"h;v") == "h;v"
    with pytest.raises(UnicodeDecodeError):
        decode_utf8(b"h;\xe9")


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ('h;v\n1;"never closed\n2;x\n', 2, "never closed"),
        ("h;v\n1;a\x00b\n", 2, "NUL"),
        ('h;v\n1;"quoted \x00 NUL"\n', 2, "NUL"),
        ("h;v\n1;a\rb\n", 2, "carriage return"),
        ("h;v\n1;a\r", 2, "carriage return"),
        ('h;v\n1;"a"\r2;b\n', 2, "carriage return"),
        ('h;v\n1;ab"c\n', 2, "quote inside"),
        ('h;v\n1;"ab"c\n', 2, "after a closing quote"),
    ],
)
def test_syntax_faults_name_their_line(text: str, line: int, words: str) -> None:
    with pytest.raises(CsvSyntaxError) as info:
        parse_rows(text, file="f.csv")
    assert info.value.code == "F008"
    assert info.value.line == line
    assert words in info.value.detail


def test_stdlib_csv_would_not_give_start_lines() -> None:
    """Why the reader is hand-written: csv.reader's line_num is the line a record *ends* on."""
    text = 'h;c\n1;"a\nb"\n2;x\n'
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=";")
    ends = [reader.line_num for _ in reader]
    assert ends == [1, 3, 4]
    assert [r.line_no for r in parse_rows(text)] == [1, 2, 4]


# --------------------------------------------------------------------------------------------------
# Properties

cell = st.lists(st.sampled_from(list('ab ;"\n\r\t,é١ش') + ["\r\n"]), max_size=8).map("".join)
record = st.lists(cell, min_size=2, max_size=5)


@given(rows=st.lists(record, min_size=1, max_size=8), crlf=st.booleans())
@settings(max_examples=300, deadline=None)
def test_round_trip_keeps_every_cell_and_start_line(rows: list[list[str]], crlf: bool) -> None:
    line_end = "\r\n" if crlf else "\n"
    text = format_rows(rows, line_end=line_end)
    expected_lines = []
    line = 1
    for row in rows:
        expected_lines.append(line)
        line += sum(c.count("\n") for c in row) + 1
    parsed = parse_rows(text)
    assert [r.cells for r in parsed] == [tuple(r) for r in rows]
    assert [r.line_no for r in parsed] == expected_lines
    assert not any(r.blank for r in parsed)


@given(text=st.text(alphabet=st.sampled_from(list('a;"\n\r\x00 é')), max_size=40))
@settings(max_examples=500, deadline=None)
def test_any_text_parses_or_raises_csv_syntax_error(text: str) -> None:
    try:
        rows = parse_rows(text)
    except CsvSyntaxError as exc:
        assert exc.code == "F008" and exc.line is not None and exc.line >= 1
        return
    lines = [r.line_no for r in rows]
    assert lines == sorted(set(lines))
    # Every physical line belongs to exactly one row: the last row starts on or before the last line.
    assert all(isinstance(r, CsvRow) for r in rows)
    if rows:
        assert rows[-1].line_no <= text.count("\n") + 1


@pytest.mark.parametrize(("text", "runs"), [
    ("=1+2", True), ("+212612345678", True), ("-2+3", True), ("@SUM(A1)", True), ("\tx", True),
    ("\rx", True), ("\nx", True), ("", False), ("'=1+2", False), (" =1+2", False), ("Casa=Blanca", False),
])
def test_begins_formula_and_its_guard(text: str, runs: bool) -> None:
    assert begins_formula(text) is runs
    assert formula_guard(text) == ("'" + text if runs else text)
    if not text.startswith("'"):  # a text beginning with "'" + a formula character reads back without it
        assert unguard(formula_guard(text)) == text

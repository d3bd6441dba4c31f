"""A strict RFC 4180 reader for the exchange's `;`-separated files, with physical line numbers.

Written by hand rather than on :mod:`csv` because the contract needs what the stdlib reader does not
give precisely: the physical line on which each record *starts* (a quoted cell may span lines, blank
lines count as lines), and a hard error (F008) on a bare carriage return outside quotes, on a NUL
byte, on an unterminated quote and on a quote that RFC 4180 does not allow (inside an unquoted cell,
or text after a closing quote). Lines end with ``\\n`` or ``\\r\\n``; only ``\\n`` advances the line
count, so a carriage return inside a quoted cell is kept in the value and does not start a line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from recouvra.exchange.errors import CsvSyntaxError

if TYPE_CHECKING:
    from collections.abc import Iterator

DELIMITER = ";"
QUOTE = '"'
BOM = "\ufeff"

# A quoted cell: opening quote, anything but a lone quote ("" is an escaped quote), closing quote.
# Unrolled so that a long cell never backtracks.
_QUOTED = re.compile(r'"([^"]*(?:""[^"]*)*)"')
_UNQUOTED = re.compile(r'[^;"\r\n]*')


@dataclass(frozen=True, slots=True)
class CsvRow:
    """One record of a CSV text: the physical line it starts on, its cells, and whether it is blank.

    A blank row is a physical line holding nothing but spaces or tabs; it counts as a line but is
    not a record.
    """

    line_no: int
    cells: tuple[str, ...]
    blank: bool = False


def decode_utf8(data: bytes) -> str:
    """The text of ``data`` as strict UTF-8, one leading BOM dropped; :class:`UnicodeDecodeError` if not."""
    text = data.decode("utf-8")
    return text[1:] if text.startswith(BOM) else text


def iter_rows(text: str, *, file: str = "<text>") -> Iterator[CsvRow]:
    """Yield the rows of ``text`` in order; raise :class:`CsvSyntaxError` at the first syntax fault.

    Every physical line is covered by exactly one row (blank lines included), so the row line
    numbers strictly increase and a caller can count records without re-reading the text.
    """
    nul = text.find("\x00")
    if nul >= 0:
        # The whole file is rejected anyway: report the NUL where it is, before any row.
        line_of_nul = text.count("\n", 0, nul) + 1
        raise CsvSyntaxError("NUL byte in the file", file=file, line=line_of_nul, code="F008")
    pos = 0
    line = 1
    n = len(text)
    while pos < n:
        start_line = line
        nl = text.find("\n", pos)
        end = n if nl < 0 else nl
        segment = text[pos:end]
        if QUOTE not in segment:
            # Fast path: a line without quotes is one record (the usual case, by far).
            body = segment[:-1] if nl >= 0 and segment.endswith("\r") else segment
            if "\r" in body:
                raise CsvSyntaxError(
                    "bare carriage return outside quotes", file=file, line=start_line, code="F008"
                )
            pos = end + 1
            line += 1 if nl >= 0 else 0
            if body.strip(" \t") == "":
                yield CsvRow(start_line, (body,), blank=True)
            else:
                yield CsvRow(start_line, tuple(body.split(DELIMITER)))
            continue
        cells: list[str] = []
        while True:
            if pos < n and text[pos] == QUOTE:
                m = _QUOTED.match(text, pos)
                if m is None:
                    raise CsvSyntaxError(
                        f"quote opened on line {line} is never closed", file=file, line=line, code="F008"
                    )
                raw = m.group(1)
                line += raw.count("\n")
                cells.append(raw.replace('""', '"'))
                pos = m.end()
            else:
                m = _UNQUOTED.match(text, pos)
                assert m is not None  # the pattern matches the empty string
                cells.append(m.group(0))
                pos = m.end()
            if pos >= n:
                break
            c = text[pos]
            if c == DELIMITER:
                pos += 1
                continue
            if c == "\n":
                pos += 1
                line += 1
                break
            if c == "\r":
                if pos + 1 < n and text[pos + 1] == "\n":
                    pos += 2
                    line += 1
                    break
                raise CsvSyntaxError("bare carriage return outside quotes", file=file, line=line, code="F008")
            if c == QUOTE:
                raise CsvSyntaxError(
                    "quote inside an unquoted cell (quote the whole cell and double the quote)",
                    file=file, line=line, code="F008",
                )
            raise CsvSyntaxError(
                "text after a closing quote (a quoted cell must end at ';' or at the end of the line)",
                file=file, line=line, code="F008",
            )
        yield CsvRow(start_line, tuple(cells))


def parse_rows(text: str, *, file: str = "<text>") -> list[CsvRow]:
    """All rows of ``text`` (see :func:`iter_rows`), or :class:`CsvSyntaxError` at the first fault."""
    return list(iter_rows(text, file=file))


def quote_cell(value: str) -> str:
    """``value`` as an RFC 4180 cell: quoted when it holds ``;``, a quote, CR or LF, or is padded."""
    if any(ch in value for ch in ';"\r\n') or value != value.strip(" \t"):
        return QUOTE + value.replace(QUOTE, QUOTE * 2) + QUOTE
    return value


_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")


def begins_formula(text: str) -> bool:
    """Whether a spreadsheet opening ``text`` as a cell would read it as a formula (``=``, ``+``, ``-``,
    ``@``, tab, CR or LF first)."""
    return text[:1] in _FORMULA_STARTS


def formula_guard(text: str) -> str:
    """Free text the fund writes, prefixed with ``'`` when a spreadsheet would run it as a formula."""
    return "'" + text if begins_formula(text) else text


def unguard(text: str) -> str:
    """Free text read back without the fund's formula guard (the ``'`` before ``=``, ``+``, ...).

    The inverse of :func:`formula_guard` for any text that does not itself begin with ``'`` followed by
    one of those characters (the guard leaves such a text as it is, so reading it back drops its quote).
    """
    return text[1:] if text[:1] == "'" and text[1:2] in _FORMULA_STARTS else text


def format_rows(rows: list[list[str]], *, line_end: str = "\n") -> str:
    """The CSV text of ``rows`` (header first), each row ended by ``line_end``."""
    return "".join(DELIMITER.join(quote_cell(c) for c in row) + line_end for row in rows)

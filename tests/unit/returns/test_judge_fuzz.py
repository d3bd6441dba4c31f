"""Property-based tests of the judge: no exception on any bytes, and no record ever lost.

Every data record of a file must come out exactly once, among accepted, rejects and duplicates, with
``rows_received = rows_accepted + rows_rejected + rows_duplicate`` and increasing line numbers.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from recouvra.exchange.csvparse import quote_cell
from recouvra.returns import (
    Dossier,
    ExchangeContext,
    InMemoryReturnHistory,
    Judgement,
    Status,
    judge_bytes,
)

AS_OF = dt.date(2026, 11, 25)
NOW = dt.datetime(2026, 11, 25, 9, 30, tzinfo=dt.UTC)
CONTEXT = ExchangeContext({
    "D1": Dossier("D1", "AG01", dt.date(2026, 11, 1), dt.date(2027, 4, 30), Decimal("10000.00")),
    "D2": Dossier("D2", "AG02", dt.date(2026, 11, 1), dt.date(2027, 4, 30), Decimal("5000.00")),
    "D3": Dossier("D3", "AG01", dt.date(2026, 11, 1), dt.date(2027, 4, 30), Decimal("800.00"),
                  recall_date=dt.date(2026, 11, 20)),
})
NAMES = ["AG01_ACTIONS_20261125_01.csv", "AG01_PAYMENTS_20261125_01.csv", "AG01_PLANS_20261125_01.csv",
         "AG01_CONTACTS_20261125_01.csv", "AG01_CLOSURES_20261125_01.csv", "AG02_PAYMENTS_20261125_01.csv",
         "bad name.csv"]


def assert_invariants(j: Judgement, expected_lines: list[int] | None = None) -> None:
    ack = j.ack
    assert ack["rows_received"] == ack["rows_accepted"] + ack["rows_rejected"] + ack["rows_duplicate"]
    assert ack["rows_accepted"] == len(j.accepted)
    assert ack["rows_rejected"] == len(j.rejects)
    assert ack["rows_duplicate"] == len(j.duplicates)
    lines = sorted([r.line_no for r in j.accepted] + [r.line_no for r in j.rejects]
                   + [d.line_no for d in j.duplicates])
    assert len(lines) == len(set(lines)), "a record came out twice"
    for group in (j.accepted, j.rejects, j.duplicates):
        group_lines = [r.line_no for r in group]
        assert group_lines == sorted(group_lines)
    if expected_lines is not None:
        assert lines == expected_lines
    assert len(j.file_errors) <= 1
    if j.file_errors:
        assert j.status is Status.REJECTED and not j.accepted
    elif j.status is not Status.DUPLICATE:
        expected = (Status.ACCEPTED if not j.rejects
                    else Status.REJECTED if not j.accepted else Status.PARTIAL)
        assert j.status is expected
    assert set(ack) >= {"spec", "file", "sha256", "received_at", "status", "file_errors", "warnings"}


@given(data=st.binary(max_size=300), name=st.sampled_from(NAMES))
@settings(max_examples=400, deadline=None)
def test_arbitrary_bytes_never_raise(data: bytes, name: str) -> None:
    j = judge_bytes(name, data, "AG01", CONTEXT, InMemoryReturnHistory(), on=AS_OF, received_at=NOW)
    assert_invariants(j)


HEADER = ["dossier_id", "payment_id", "payment_date", "amount", "channel", "receipt_ref"]
CELL_CHOICES = {
    "dossier_id": ["D1", "D2", "D3", "D9", "", " "],
    "payment_id": ["P1", "P2", "P3", "", "P;4", "P\n5"],
    "payment_date": ["2026-11-10", "2026-11-21", "2026-10-01", "2026-02-30", "2030-01-01", "x", ""],
    "amount": ["1", "100.5", "900.00", "0", "-1", "1,5", "20000", ""],
    "channel": ["CHEQUE", "ONLINE", "cheque", ""],
    "receipt_ref": ["", "R1", 'say "x"', "ت ش", "a\r\nb"],
}


@st.composite
def payments_file(draw: st.DrawFn) -> tuple[bytes, list[int]]:
    """A PAYMENTS file of random rows (valid or not), blank lines and line ends; the record lines."""
    header = draw(st.permutations(HEADER))
    line_end = draw(st.sampled_from(["\n", "\r\n"]))
    parts = [";".join(header) + line_end]
    line = 2
    lines: list[int] = []
    for _ in range(draw(st.integers(1, 12))):
        if draw(st.booleans()) and draw(st.booleans()):
            parts.append(line_end)  # a blank line
            line += 1
        cells = [draw(st.sampled_from(CELL_CHOICES[c])) for c in header]
        extra = draw(st.sampled_from([0, 0, 0, 1, -1]))
        if extra > 0:
            cells.append("extra")
        elif extra < 0:
            cells.pop()
        text = ";".join(quote_cell(c) for c in cells)
        if text.strip(" \t") == "":
            text = '""' + text  # keep it a record, not a blank line
        parts.append(text + line_end)
        lines.append(line)
        line += 1 + sum(c.count("\n") for c in cells)
    return "".join(parts).encode(), lines


@given(file=payments_file(), resend=st.booleans())
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_every_record_comes_out_exactly_once(file: tuple[bytes, list[int]], resend: bool) -> None:
    data, lines = file
    history = InMemoryReturnHistory()
    j = judge_bytes("AG01_PAYMENTS_20261125_01.csv", data, "AG01", CONTEXT, history,
                    on=AS_OF, received_at=NOW)
    assert j.file_errors == ()
    assert j.ack["rows_received"] == len(lines)
    assert_invariants(j, lines)
    if resend:
        history.remember(j)
        again = judge_bytes("AG01_PAYMENTS_20261125_02.csv", data, "AG01", CONTEXT, history,
                            on=AS_OF, received_at=NOW)
        assert again.status is Status.DUPLICATE and again.ack["rows_duplicate"] == len(lines)
        assert_invariants(again, lines)
        # The same records in another file (one blank line more): accepted ones come back as duplicates.
        third = judge_bytes("AG01_PAYMENTS_20261125_03.csv", data + b"\n", "AG01", CONTEXT, history,
                            on=AS_OF, received_at=NOW)
        assert_invariants(third, lines)
        assert len(third.duplicates) == len(j.accepted) and not third.accepted

"""Sample files of the exchange (recouvra.standins.return_samples): assignment and recall files with the
contract's names, header and quoting, and return files' bytes."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

from recouvra.exchange.csvparse import parse_rows
from recouvra.standins.return_samples import (
    ASSIGNMENT_HEADER,
    RECALL_HEADER,
    SampleDossier,
    return_csv,
    write_assignment_csv,
    write_recall_csv,
)

START, END = dt.date(2026, 11, 1), dt.date(2027, 4, 30)


def test_an_assignment_row_splits_the_total_and_guards_free_text() -> None:
    row = SampleDossier("D202611-000001", Decimal("1000.01"), START, END, debtor_name="=HYPERLINK(1)").row()
    assert len(row) == len(ASSIGNMENT_HEADER)
    cells = dict(zip(ASSIGNMENT_HEADER, row, strict=True))
    assert (cells["principal_due"], cells["surcharges_due"], cells["penalties_due"], cells["total_due"]) == (
        "800.01", "150.00", "50.00", "1000.01")
    assert cells["debtor_name"] == "'=HYPERLINK(1)" and cells["city"] == "Casablanca"
    assert (cells["assignment_start"], cells["assignment_end"]) == ("2026-11-01", "2027-04-30")


def test_assignment_and_recall_files_have_the_contract_names_and_rows(tmp_path: Path) -> None:
    dossiers = [SampleDossier("D202611-000001", Decimal("6000.00"), START, END),
                SampleDossier("D202611-000002", Decimal("99.99"), START, END, debtor_name='Atlas "Sud"; Fès')]
    assign = write_assignment_csv(tmp_path, "AG01", "2026-11", dossiers, seq=3)
    assert assign.name == "CNSS_ASSIGN_AG01_202611_03.csv"
    rows = parse_rows(assign.read_text(encoding="utf-8"))
    assert tuple(rows[0].cells) == ASSIGNMENT_HEADER
    assert [tuple(r.cells[:3]) for r in rows[1:]] == [("D202611-000001", "1234567", "Atlas Textile SARL"),
                                                      ("D202611-000002", "1234567", 'Atlas "Sud"; Fès')]
    recall = write_recall_csv(tmp_path, "AG02", dt.date(2026, 12, 5),
                              [("D202611-000002", dt.date(2026, 12, 4), "PAID_IN_FULL")])
    assert recall.name == "CNSS_RECALL_AG02_20261205_01.csv"
    assert recall.read_text(encoding="utf-8") == (
        ";".join(RECALL_HEADER) + "\nD202611-000002;2026-12-04;PAID_IN_FULL\n")


def test_return_file_bytes_quote_what_needs_it_and_take_the_line_end() -> None:
    assert return_csv(["a", "b"], [["1", "x;y"], ["2", ""]]) == b'a;b\n1;"x;y"\n2;\n'
    assert return_csv(["a"], [["é"]], line_end="\r\n") == "a\r\né\r\n".encode()

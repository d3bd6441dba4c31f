"""Fixtures shared by the tests of the returns package: the fund's own exchange files."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from recouvra.standins.return_samples import SampleDossier, write_assignment_csv, write_recall_csv

START, END = dt.date(2026, 11, 1), dt.date(2027, 4, 30)


@pytest.fixture()
def fund_files(tmp_path: Path) -> dict[str, Path]:
    """Assignments of two agencies and one recall, as the fund drops them in outbox/."""
    outbox = tmp_path / "outbox"
    outbox.mkdir()
    return {
        "ag01": write_assignment_csv(outbox, "AG01", "2026-11", [
            SampleDossier("D202611-000001", Decimal("12500.40"), START, END),
            SampleDossier("D202611-000002", Decimal("800.00"), START, END, debtor_name="=HYPERLINK()"),
        ]),
        "ag02": write_assignment_csv(outbox, "AG02", "2026-11", [
            SampleDossier("D202611-000101", Decimal("5000.00"), START, END),
        ]),
        "recall": write_recall_csv(outbox, "AG01", dt.date(2026, 11, 20), [
            ("D202611-000002", dt.date(2026, 11, 20), "PAID_IN_FULL"),
        ]),
    }

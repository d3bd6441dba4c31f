"""Small files of the exchange written in the contract's format: for tests, trials and the docs.

An agency trying ``recouvra returns check`` and the test-suite both need assignment and recall files
that look like the fund's; these helpers write them (UTF-8, ``;``, RFC 4180 quoting, ``\\n``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from recouvra.exchange.csvparse import format_rows, formula_guard
from recouvra.exchange.names import assignment_names, recall_name
from recouvra.exchange.payment_ref import payment_ref

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence
    from pathlib import Path

ASSIGNMENT_HEADER = (
    "dossier_id", "affiliation_no", "debtor_name", "legal_form", "ice", "rc_number", "rc_court",
    "address", "city", "phone_1", "phone_2", "email", "legal_rep_name", "segment", "periods_count",
    "oldest_period", "newest_period", "principal_due", "surcharges_due", "penalties_due", "total_due",
    "assignment_start", "assignment_end", "commission_rate", "commission_cap",
    "payment_ref",  # an addition to agency-exchange/1 (optional, last)
)
RECALL_HEADER = ("dossier_id", "recall_date", "reason")


@dataclass(frozen=True)
class SampleDossier:
    """An assigned dossier with just enough to fill every column of an assignment row."""

    dossier_id: str
    total_due: Decimal
    assignment_start: dt.date
    assignment_end: dt.date
    debtor_name: str = "Atlas Textile SARL"
    city: str = "Casablanca"

    def row(self) -> list[str]:
        """The assignment row: principal 80 %, surcharges 15 %, penalties the rest (sums to total_due).

        Free text gets the fund's spreadsheet-formula guard, as in the real files.
        """
        principal = (self.total_due * Decimal("0.80")).quantize(Decimal("0.01"))
        surcharges = (self.total_due * Decimal("0.15")).quantize(Decimal("0.01"))
        penalties = self.total_due - principal - surcharges
        return [
            self.dossier_id, "1234567", formula_guard(self.debtor_name), "SARL", "001234567000089", "123456",
            formula_guard(self.city), "12 Rue Ibn Battouta", formula_guard(self.city), "+212522123456", "",
            "contact@atlas.ma",
            "Karim Benali", "FRESH", "6", "2026-01", "2026-06", f"{principal:.2f}", f"{surcharges:.2f}",
            f"{penalties:.2f}", f"{self.total_due:.2f}", self.assignment_start.isoformat(),
            self.assignment_end.isoformat(), "0.03", "30000.00", _payment_ref_cell(self.dossier_id),
        ]


def _payment_ref_cell(dossier_id: str) -> str:
    """The dossier's payment reference, or empty (an optional column) for an id of another form."""
    try:
        return payment_ref(dossier_id)
    except ValueError:
        return ""


def write_assignment_csv(
    folder: Path, agency: str, month: str, dossiers: Iterable[SampleDossier], seq: int = 1
) -> Path:
    """Write ``CNSS_ASSIGN_<agency>_<YYYYMM>_<SEQ>.csv`` (``month`` as ``YYYY-MM``) and return its path."""
    year, month_no = month.split("-")
    path = folder / assignment_names(agency, dt.date(int(year), int(month_no), 1), seq)[0]
    path.write_text(format_rows([list(ASSIGNMENT_HEADER), *[d.row() for d in dossiers]]), encoding="utf-8")
    return path


def write_recall_csv(
    folder: Path, agency: str, day: dt.date, recalls: Iterable[tuple[str, dt.date, str]], seq: int = 1
) -> Path:
    """Write ``CNSS_RECALL_<agency>_<YYYYMMDD>_<SEQ>.csv`` from (dossier_id, recall_date, reason)."""
    path = folder / recall_name(agency, day, seq)
    rows = [[d, r.isoformat(), reason] for d, r, reason in recalls]
    path.write_text(format_rows([list(RECALL_HEADER), *rows]), encoding="utf-8")
    return path


def return_csv(header: Sequence[str], rows: Iterable[Sequence[str]], *, line_end: str = "\n") -> bytes:
    """The UTF-8 bytes of a return file with ``header`` and ``rows`` (quoted where RFC 4180 needs it)."""
    return format_rows([list(header), *[list(r) for r in rows]], line_end=line_end).encode("utf-8")

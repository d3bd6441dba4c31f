"""What the fund told the agencies: the dossiers a return file is judged against.

An :class:`ExchangeContext` maps each dossier to its agency, assignment window, ``total_due`` and
recall date. The command line builds it from the fund's assignment and recall CSV files (of every
agency, so that E002 can tell "another agency's dossier" from "unknown dossier"); the ingestion DAG
can build the same object from the warehouse.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING

from recouvra.exchange.csvparse import CsvRow, decode_utf8, parse_rows
from recouvra.exchange.errors import CsvSyntaxError, ExchangeContextError
from recouvra.exchange.names import ASSIGN_NAME_RE, RECALL_NAME_RE, Outgoing, parse_outgoing_name
from recouvra.exchange.spec import ObjectionRules, parse_iso_date

if TYPE_CHECKING:
    import datetime as dt
    from collections.abc import Iterable, Mapping
    from pathlib import Path

ASSIGNMENT_COLUMNS = ("dossier_id", "total_due", "assignment_start", "assignment_end")
RECALL_COLUMNS = ("dossier_id", "recall_date")
NOTICE_COLUMNS = ("dossier_id", "intended_recall_date", "objection_deadline", "owed_amount")


@dataclass(frozen=True)
class Notice:
    """A dossier's pending recall notice as an objection is judged against it (``core.recall_notice``):
    the intended recall date, the last day an objection is received, what the dossier owed at the
    notice, and the recall date an accepted objection set (with that objection's id), if any."""

    intended_recall_date: dt.date
    objection_deadline: dt.date
    owed_amount: Decimal
    extended_to: dt.date | None = None
    extended_by: str | None = None


@dataclass(frozen=True)
class Dossier:
    """One assigned dossier as the judge needs it; ``total_due`` is the amount *as assigned*."""

    dossier_id: str
    agency: str
    assignment_start: dt.date
    assignment_end: dt.date
    total_due: Decimal
    recall_date: dt.date | None = None
    notice: Notice | None = None


@dataclass(frozen=True)
class ExchangeContext:
    """The dossiers of every agency, by dossier_id, and the fund's rules on objections."""

    dossiers: Mapping[str, Dossier] = field(default_factory=dict)
    rules: ObjectionRules = field(default_factory=ObjectionRules)

    def get(self, dossier_id: str) -> Dossier | None:
        """The dossier ``dossier_id``, or None when the fund never assigned it."""
        return self.dossiers.get(dossier_id)


def _read_table(path: Path, required: tuple[str, ...]) -> tuple[list[CsvRow], dict[str, int]]:
    """Data rows of a fund CSV and the position of each column; ExchangeContextError when unusable."""
    name = path.name
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ExchangeContextError(f"cannot read the file ({exc.strerror or exc})", file=str(path)) from exc
    try:
        rows = parse_rows(decode_utf8(data), file=name)
    except UnicodeDecodeError as exc:
        raise ExchangeContextError(f"not valid UTF-8 ({exc.reason})", file=str(path)) from exc
    except CsvSyntaxError as exc:
        raise ExchangeContextError(exc.detail, file=str(path), line=exc.line) from exc
    if not rows or rows[0].blank:
        raise ExchangeContextError("header missing", file=str(path), line=1)
    header = rows[0].cells
    positions = {c: i for i, c in enumerate(header)}
    absent = [c for c in required if c not in positions]
    if absent:
        raise ExchangeContextError(f"column(s) absent: {', '.join(absent)}", file=str(path), line=1)
    data_rows = [r for r in rows[1:] if not r.blank]
    for r in data_rows:
        if len(r.cells) != len(header):
            raise ExchangeContextError(
                f"{len(r.cells)} cells where the header has {len(header)}", file=str(path), line=r.line_no
            )
    return data_rows, positions


def _date(path: Path, row: CsvRow, positions: dict[str, int], column: str) -> dt.date:
    value = row.cells[positions[column]]
    parsed = parse_iso_date(value)
    if parsed is None:
        raise ExchangeContextError(
            f"{value!r} is not a date YYYY-MM-DD", file=str(path), line=row.line_no, field=column
        )
    return parsed


def load_assignments(paths: Iterable[Path]) -> dict[str, Dossier]:
    """Dossiers of the assignment files ``CNSS_ASSIGN_<AGENCY>_<YYYYMM>_<SEQ>.csv`` (agency from the name).

    Only the columns the judge needs are required (dossier_id, total_due, assignment_start,
    assignment_end); the others are ignored. A dossier listed twice must say the same thing twice.
    """
    dossiers: dict[str, Dossier] = {}
    for path in paths:
        m = ASSIGN_NAME_RE.fullmatch(path.name)
        if m is None:
            raise ExchangeContextError(
                "not an assignment file name CNSS_ASSIGN_<AGENCY>_<YYYYMM>_<SEQ>.csv", file=str(path)
            )
        rows, pos = _read_table(path, ASSIGNMENT_COLUMNS)
        for row in rows:
            dossier_id = row.cells[pos["dossier_id"]]
            if not dossier_id.strip():
                raise ExchangeContextError("empty dossier_id", file=str(path), line=row.line_no)
            raw_total = row.cells[pos["total_due"]]
            try:
                total_due = Decimal(raw_total)
            except InvalidOperation:
                raise ExchangeContextError(
                    f"{raw_total!r} is not an amount", file=str(path), line=row.line_no, field="total_due"
                ) from None
            if not total_due.is_finite():
                raise ExchangeContextError(
                    f"{raw_total!r} is not an amount", file=str(path), line=row.line_no, field="total_due"
                )
            dossier = Dossier(
                dossier_id=dossier_id,
                agency=m["agency"],
                assignment_start=_date(path, row, pos, "assignment_start"),
                assignment_end=_date(path, row, pos, "assignment_end"),
                total_due=total_due,
            )
            known = dossiers.get(dossier_id)
            if known is not None and known != dossier:
                raise ExchangeContextError(
                    f"dossier {dossier_id} is assigned twice with different terms "
                    f"({known.agency} {known.assignment_start}..{known.assignment_end} {known.total_due})",
                    file=str(path), line=row.line_no, field="dossier_id",
                )
            dossiers[dossier_id] = dossier
    return dossiers


def load_recalls(paths: Iterable[Path]) -> dict[str, dt.date]:
    """Recall date by dossier from ``CNSS_RECALL_<AGENCY>_<YYYYMMDD>_<SEQ>.csv`` files (earliest wins)."""
    recalls: dict[str, dt.date] = {}
    for path in paths:
        if RECALL_NAME_RE.fullmatch(path.name) is None:
            raise ExchangeContextError(
                "not a recall file name CNSS_RECALL_<AGENCY>_<YYYYMMDD>_<SEQ>.csv", file=str(path)
            )
        rows, pos = _read_table(path, RECALL_COLUMNS)
        for row in rows:
            dossier_id = row.cells[pos["dossier_id"]]
            recall_date = _date(path, row, pos, "recall_date")
            known = recalls.get(dossier_id)
            recalls[dossier_id] = recall_date if known is None else min(known, recall_date)
    return recalls


def load_notices(paths: Iterable[Path]) -> dict[str, Notice]:
    """Recall notices open to an objection (a row with an ``objection_deadline``) by dossier, from
    ``CNSS_RECALLNOTICE_<AGENCY>_<YYYYMMDD>_<SEQ>.csv`` files; a later notice of a dossier wins."""
    notices: dict[str, Notice] = {}
    for path in paths:
        parsed = parse_outgoing_name(path.name)
        if parsed is None or parsed.kind is not Outgoing.RECALLNOTICE:
            raise ExchangeContextError(
                "not a recall notice file name CNSS_RECALLNOTICE_<AGENCY>_<YYYYMMDD>_<SEQ>.csv",
                file=str(path),
            )
        rows, pos = _read_table(path, NOTICE_COLUMNS)
        for row in rows:
            if not row.cells[pos["objection_deadline"]].strip():
                continue  # the date already moved: no objection open
            raw = row.cells[pos["owed_amount"]]
            try:
                owed = Decimal(raw)
            except InvalidOperation:
                raise ExchangeContextError(f"{raw!r} is not an amount", file=str(path), line=row.line_no,
                                           field="owed_amount") from None
            notices[row.cells[pos["dossier_id"]]] = Notice(
                _date(path, row, pos, "intended_recall_date"), _date(path, row, pos, "objection_deadline"),
                owed)
    return notices


def load_context(
    assignments: Iterable[Path], recalls: Iterable[Path] = (), notices: Iterable[Path] = (),
) -> ExchangeContext:
    """The context of the fund's own files: every assignment, each recall and recall notice applied to
    its dossier.

    A recall or notice of a dossier absent from the assignments given is ignored: without its
    assignment the dossier is unknown (E001) anyway.
    """
    dossiers = load_assignments(assignments)
    for dossier_id, recall_date in load_recalls(recalls).items():
        if dossier_id in dossiers:
            dossiers[dossier_id] = replace(dossiers[dossier_id], recall_date=recall_date)
    for dossier_id, notice in load_notices(notices).items():
        if dossier_id in dossiers:
            dossiers[dossier_id] = replace(dossiers[dossier_id], notice=notice)
    return ExchangeContext(dossiers)

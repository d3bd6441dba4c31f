"""Judge one agency return file against the contract: the single implementation behind the
``recouvra returns check`` command and the ingestion DAG.

:func:`judge_file` reads a file (and its ``.sha256`` sidecar), :func:`judge_bytes` does the work on
bytes, so tests and fuzzers need no disk; a file larger than the contract's limit is judged from its
name and size alone, never read (:func:`judge_unread`: F001, F007 or F005; the ingestion answers it
without downloading it). The result, a :class:`Judgement`, holds the acknowledgement
(the contract's ``ack.json``), the rejected rows (``rejects.csv``), the accepted records typed per
file type, and the duplicates. Nothing is lost: every data record of the file is in exactly one of
accepted, rejects and duplicates, so ``rows_received = accepted + rejected + duplicate`` always.
"""

from __future__ import annotations

import datetime as dt
import errno
import functools
import hashlib
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from recouvra.exchange.ack import Ack, FileError, Reject, render_rejects
from recouvra.exchange.csvparse import CsvRow, decode_utf8, iter_rows
from recouvra.exchange.errors import CsvSyntaxError, ReturnFileError
from recouvra.exchange.names import SIDECAR_SUFFIX, file_stem, parse_return_name, sidecar_name
from recouvra.exchange.spec import (
    ACTIVITY_STATUSES,
    AMOUNT_RE,
    INSTALLMENTS_MAX,
    INSTALLMENTS_MIN,
    INTEGER_RE,
    MAX_CELL_CHARS,
    MAX_FILE_BYTES,
    PROMISE_TO_PAY,
    RETURN_TYPES,
    UNREAD_SHA256,
    Column,
    Kind,
    ObjectionRules,
    ReturnType,
    Status,
    format_timestamp,
    parse_iso_date,
)
from recouvra.exchange.values import is_email, phone_e164
from recouvra.returns.records import KEY_SEPARATOR, RECORD_CLASSES, ReturnRecord

if TYPE_CHECKING:
    from pathlib import Path

    from recouvra.returns.context import Dossier, ExchangeContext
    from recouvra.returns.history import ReturnHistory


@dataclass(frozen=True)
class DuplicateRecord:
    """A record ignored because it was received before with the same id and content."""

    line_no: int
    record_id: str
    key: str


@dataclass(frozen=True)
class Judgement:
    """Everything the fund decides about one received file."""

    file_name: str
    agency: str
    record_type: str | None
    sha256: str
    received_at: dt.datetime
    status: Status
    file_errors: tuple[FileError, ...] = ()
    warnings: tuple[str, ...] = ()
    accepted: tuple[ReturnRecord, ...] = ()
    rejects: tuple[Reject, ...] = ()
    duplicates: tuple[DuplicateRecord, ...] = ()

    @property
    def rows_received(self) -> int:
        return len(self.accepted) + len(self.rejects) + len(self.duplicates)

    def acknowledgement(self) -> Ack:
        """The contract's acknowledgement of the file (``<stem>.ack.json``)."""
        return Ack(
            file=self.file_name,
            sha256=self.sha256,
            received_at=format_timestamp(self.received_at),
            status=self.status,
            rows_received=self.rows_received,
            rows_accepted=len(self.accepted),
            rows_rejected=len(self.rejects),
            rows_duplicate=len(self.duplicates),
            file_errors=self.file_errors,
            warnings=self.warnings,
        )

    @property
    def ack(self) -> dict[str, Any]:
        """The acknowledgement, key for key as the contract's ``<stem>.ack.json``."""
        return self.acknowledgement().as_dict()

    def report(self) -> dict[str, Any]:
        """The ack plus ``rejects`` (the rows of rejects.csv): what ``recouvra returns check`` prints."""
        return {**self.ack, "rejects": [r.as_dict() for r in self.rejects]}

    @property
    def stem(self) -> str:
        """The file name without ``.csv``: acks are ``<stem>.ack.json`` and ``<stem>.rejects.csv`` (for the
        first file of that stem; :func:`recouvra.exchange.names.ack_name` numbers the later ones)."""
        return file_stem(self.file_name)

    def rejects_csv(self) -> str:
        """``rejects.csv`` text (``line_no;record_id;reason_code;detail``), "" when nothing was rejected."""
        return render_rejects(self.rejects)


def _show(value: str, limit: int = 60) -> str:
    """A cell value fit for a detail sentence (long values cut)."""
    return repr(value if len(value) <= limit else value[:limit] + "…")


# --------------------------------------------------------------------------------------------------
# File level


#: The largest ``.sha256`` sidecar read: a digest, a file name and a line end fit many times over. A
#: larger one is not read (nor downloaded by the ingestion) and fails its check (F004).
SIDECAR_MAX_BYTES = 4096


def sidecar_not_read(size: int) -> bytes:
    """What stands for a sidecar of ``size`` bytes, too large to be read: text that fails the check."""
    return f"<not read: {size:,} bytes, more than the {SIDECAR_MAX_BYTES:,} a sidecar may hold>\n".encode()


def judge_file(
    path: Path,
    agency: str,
    context: ExchangeContext,
    history: ReturnHistory,
    on: dt.date,
    received_at: dt.datetime,
) -> Judgement:
    """Judge the return file at ``path``, received on ``agency``'s account, as of the day ``on``.

    Reads ``<path>.sha256`` when it exists (not one above :data:`SIDECAR_MAX_BYTES`: F004). Does not
    record anything in ``history``: the caller calls ``history.remember(judgement)`` once the
    acknowledgement is written. Raises OSError only when ``path`` itself cannot be read. A file larger
    than the limit is not read: :func:`judge_unread`.
    """
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        return judge_unread(path.name, size, agency, history, received_at=received_at)
    data = path.read_bytes()
    sidecar_path = path.with_name(sidecar_name(path.name))
    try:
        sidecar_size = sidecar_path.stat().st_size
        sidecar: bytes | None = (sidecar_path.read_bytes() if sidecar_size <= SIDECAR_MAX_BYTES
                                 else sidecar_not_read(sidecar_size))
    except FileNotFoundError:
        sidecar = None
    except OSError as exc:
        # <name>.sha256 too long to be a file name: there is none; else present but unreadable, and
        # the check it stands for fails
        too_long = exc.errno == errno.ENAMETOOLONG
        sidecar = None if too_long else f"<unreadable: {exc.strerror or exc}>".encode()
    return judge_bytes(
        path.name, data, agency, context, history, on=on, received_at=received_at, sidecar=sidecar
    )


@dataclass
class _Parsed:
    """The file as far as it could be read: text, rows, header positions."""

    text: str | None = None
    rows: list[CsvRow] | None = None
    syntax_error: CsvSyntaxError | None = None
    decode_error: UnicodeDecodeError | None = None


def _parse(data: bytes, file_name: str) -> _Parsed:
    """Decode and read ``data`` as far as possible (errors kept for the file checks)."""
    parsed = _Parsed()
    try:
        parsed.text = decode_utf8(data)
    except UnicodeDecodeError as exc:
        parsed.decode_error = exc
        return parsed
    try:
        parsed.rows = list(iter_rows(parsed.text, file=file_name))
    except CsvSyntaxError as exc:
        parsed.syntax_error = exc
    return parsed


@dataclass
class _Header:
    """The header row read against a return type."""

    names: tuple[str, ...]
    positions: dict[str, int] = field(default_factory=dict)  # known column -> index
    unknown: list[str] = field(default_factory=list)
    repeated: list[str] = field(default_factory=list)


def _read_header(cells: tuple[str, ...], rtype: ReturnType | None) -> _Header:
    header = _Header(cells)
    known = set(rtype.column_names) if rtype else set()
    seen: set[str] = set()
    for i, name in enumerate(cells):
        if name in seen and name not in header.repeated:
            header.repeated.append(name)
        seen.add(name)
        if name in known:
            header.positions.setdefault(name, i)
        else:
            header.unknown.append(name)
    return header


def _records(rows: list[CsvRow], header_recognised: bool) -> list[CsvRow]:
    """The data records: non-blank rows after the header on line 1.

    When line 1 is blank or names no column of the type, the file has no header, and every
    non-blank row is counted as a record (none is lost silently).
    """
    if not rows:
        return []
    if rows[0].blank or not header_recognised:
        return [r for r in rows if not r.blank]
    return [r for r in rows[1:] if not r.blank]


def _check_sidecar(sidecar: bytes, file_name: str, sha256: str) -> str | None:
    """Why the sidecar does not match (an F004 detail), or None when it does."""
    try:
        text = decode_utf8(sidecar)
    except UnicodeDecodeError:
        return f"sidecar {file_name}{SIDECAR_SUFFIX} is not valid UTF-8"
    lines = [ln for ln in text.splitlines() if ln.strip()]
    if not lines:
        return f"sidecar {file_name}{SIDECAR_SUFFIX} is empty"
    tokens = lines[0].split()
    digest = tokens[0].lower()
    if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
        return f"sidecar {file_name}{SIDECAR_SUFFIX} does not start with a sha256 hex digest"
    if len(tokens) > 1:
        named = " ".join(tokens[1:]).lstrip("*")  # sha256sum writes "*name" in binary mode
        named = named.replace("\\", "/").rsplit("/", 1)[-1]
        if named not in (file_name, file_name + ".part"):
            return f"sidecar names file {named!r}, not {file_name!r}"
    if digest != sha256:
        return f"sidecar gives sha256 {digest}, the file's sha256 is {sha256}"
    return None


def judge_bytes(
    file_name: str,
    data: bytes,
    agency: str,
    context: ExchangeContext,
    history: ReturnHistory,
    *,
    on: dt.date,
    received_at: dt.datetime,
    sidecar: bytes | None = None,
) -> Judgement:
    """Judge the content ``data`` of a file named ``file_name`` received on ``agency``'s account.

    File-level errors are checked in the contract's order (F001 with F007, F005, F004, F002, F008,
    F003, F006) and only the first is reported; the status is the first that applies of DUPLICATE,
    REJECTED, ACCEPTED, PARTIAL. Never raises on any content. Content larger than the limit is judged
    as a file on disk would be, from its name and size alone (:func:`judge_unread`).
    """
    if len(data) > MAX_FILE_BYTES:
        return judge_unread(file_name, len(data), agency, history, received_at=received_at)
    sha256 = hashlib.sha256(data).hexdigest()
    rtype, name_error = _read_name(file_name, agency)
    record_type = rtype.name if rtype else None
    parsed = _parse(data, file_name)

    def judgement(status: Status, **parts: Any) -> Judgement:
        return Judgement(
            file_name=file_name, agency=agency, record_type=record_type, sha256=sha256,
            received_at=received_at, status=status, **parts,
        )

    if history.file_seen(agency, sha256):
        # Already processed, whatever its name: its records are counted as duplicates.
        seen = _header_of(parsed, rtype)
        return judgement(Status.DUPLICATE, duplicates=tuple(
            DuplicateRecord(r.line_no, _record_id(r, seen, rtype), "")
            for r in _countable(parsed, seen, rtype)
        ))

    try:
        header = _file_checks(parsed, data, file_name, sha256, rtype, name_error, history, agency, sidecar)
    except ReturnFileError as exc:
        error = FileError(exc.code or "F003", exc.detail)
        whole = _header_of(parsed, rtype)
        return judgement(
            Status.REJECTED,
            file_errors=(error,),
            warnings=_warnings(whole),
            rejects=tuple(
                Reject(r.line_no, _record_id(r, whole, rtype), error.code, f"file rejected: {error.detail}")
                for r in _countable(parsed, whole, rtype)
            ),
        )

    assert rtype is not None and parsed.rows is not None
    accepted, rejects, dups = _judge_rows(parsed.rows, header, rtype, agency, context, history, on)
    if rejects and not accepted:
        status = Status.REJECTED
    elif not rejects:
        status = Status.ACCEPTED
    else:
        status = Status.PARTIAL
    return judgement(
        status, warnings=_warnings(header),
        accepted=tuple(accepted), rejects=tuple(rejects), duplicates=tuple(dups),
    )


def _read_name(file_name: str, agency: str) -> tuple[ReturnType | None, str | None]:
    """The return type the name gives (None when it gives none) and why the name is refused (F001)."""
    try:
        name = parse_return_name(file_name)
    except ValueError as exc:
        return None, str(exc)
    rtype = RETURN_TYPES[name.record_type]
    if name.agency != agency:
        return rtype, f"file name names agency {name.agency}, but it was received from agency {agency}"
    return rtype, None


def _name_reused(file_name: str, earlier: str) -> str:
    """The F007 detail: ``file_name`` was received before, with the sha256 ``earlier``."""
    what = (" (larger than the limit, not read)" if earlier == UNREAD_SHA256
            else f" with other content (sha256 {earlier})")
    return f"a file named {file_name} was already received{what}; send a correction under a new SEQ"


def judge_unread(
    file_name: str, size: int, agency: str, history: ReturnHistory, *, received_at: dt.datetime
) -> Judgement:
    """Judge a file of ``size`` bytes, larger than the contract's limit, without its bytes.

    The contract's order still holds: F001 (the name) first, then F007 when the name was already
    received with content the fund read (at most the limit, so not this file's), else F005. Nothing
    is counted (``rows_received`` 0: the records cannot be counted without reading them), the status
    is REJECTED, never DUPLICATE (no digest to compare), and the acknowledgement's ``sha256`` is
    :data:`~recouvra.exchange.spec.UNREAD_SHA256`. Raises ValueError for a file within the limit.
    """
    if size <= MAX_FILE_BYTES:
        raise ValueError(f"{file_name}: {size:,} bytes is within the limit: judge its content")
    rtype, name_error = _read_name(file_name, agency)
    earlier = history.sha256_for_name(agency, file_name) if name_error is None else None
    if name_error is not None:
        error = FileError("F001", name_error)
    elif earlier is not None and earlier.lower() != UNREAD_SHA256:
        error = FileError("F007", _name_reused(file_name, earlier))
    else:
        error = FileError("F005", f"{size:,} bytes, more than the 50 MiB ({MAX_FILE_BYTES:,} bytes) "
                                  "accepted; the file was not read (sha256 not computed)")
    return Judgement(
        file_name=file_name, agency=agency, record_type=rtype.name if rtype else None,
        sha256=UNREAD_SHA256, received_at=received_at, status=Status.REJECTED, file_errors=(error,),
    )


def _header_of(parsed: _Parsed, rtype: ReturnType | None) -> _Header | None:
    if not parsed.rows or parsed.rows[0].blank:
        return None
    return _read_header(parsed.rows[0].cells, rtype)


def _countable(parsed: _Parsed, header: _Header | None, rtype: ReturnType | None) -> list[CsvRow]:
    """Records of a file judged whole, as far as they can be counted (none if undecodable/unparsable).

    Line 1 is the header when it names a column of the type (any non-blank line 1 when the type is
    unknown); otherwise the file has no header and line 1 is counted as a record too.
    """
    if parsed.rows is None:
        return []
    recognised = header is not None and (rtype is None or bool(header.positions))
    return _records(parsed.rows, recognised)


def _record_id(row: CsvRow, header: _Header | None, rtype: ReturnType | None) -> str:
    if header is None or rtype is None or row.line_no == 1:
        return ""
    i = header.positions.get(rtype.id_column)
    return row.cells[i] if i is not None and i < len(row.cells) else ""


def _warnings(header: _Header | None) -> tuple[str, ...]:
    """One sentence per ignored column, when line 1 reads as a header of the file's type."""
    if header is None or not header.positions:
        return ()
    return tuple(f"column {name} ignored" if name else "unnamed column ignored" for name in header.unknown)


def _file_checks(
    parsed: _Parsed,
    data: bytes,
    file_name: str,
    sha256: str,
    rtype: ReturnType | None,
    name_error: str | None,
    history: ReturnHistory,
    agency: str,
    sidecar: bytes | None,
) -> _Header:
    """Raise ReturnFileError with the first file-level error in the contract's order; else the header."""

    def fail(code: str, detail: str, line: int | None = None) -> ReturnFileError:
        return ReturnFileError(detail, file=file_name, code=code, line=line)

    if name_error is not None:
        raise fail("F001", name_error)
    earlier = history.sha256_for_name(agency, file_name)
    if earlier is not None and earlier.lower() != sha256:
        raise fail("F007", _name_reused(file_name, earlier))
    # F005 comes next in the contract's order: judge_bytes sent a file above the limit to judge_unread
    if sidecar is not None:
        mismatch = _check_sidecar(sidecar, file_name, sha256)
        if mismatch is not None:
            raise fail("F004", mismatch)
    if parsed.decode_error is not None:
        exc = parsed.decode_error
        line = data.count(b"\n", 0, exc.start) + 1
        raise fail("F002", f"not valid UTF-8: byte {exc.start} (line {line}): {exc.reason}", line)
    if parsed.syntax_error is not None:
        raise fail("F008", f"line {parsed.syntax_error.line}: {parsed.syntax_error.detail}",
                   parsed.syntax_error.line)
    assert rtype is not None and parsed.rows is not None
    rows = parsed.rows
    if not rows:
        raise fail("F003", "empty file: no header", 1)
    if rows[0].blank:
        raise fail("F003", "header missing: line 1 is blank", 1)
    header = _read_header(rows[0].cells, rtype)
    if header.repeated:
        raise fail("F003", f"header names column(s) twice: {', '.join(header.repeated)}", 1)
    absent = [c for c in rtype.required if c not in header.positions]
    if not header.positions:
        raise fail(
            "F003",
            f"header missing: line 1 names no column of a {rtype.name} file "
            f"(expected {';'.join(rtype.column_names)})",
            1,
        )
    if absent:
        raise fail("F003", f"required column(s) absent from the header: {', '.join(absent)} "
                           "(column names must match exactly)", 1)
    if not any(not r.blank for r in rows[1:]):
        raise fail("F006", "no data row after the header", None)
    return header


# --------------------------------------------------------------------------------------------------
# Row level


@dataclass
class _RowFault(Exception):
    """The first fault of a row: its E-code and a sentence for the agency."""

    code: str
    detail: str


def _present(value: str) -> bool:
    """A cell holds a value unless it is empty (a cell of white space only counts as empty)."""
    return bool(value) and not value.isspace()


class _RowJudge:
    """Judges the rows of one file; the column plan is worked out once from the header."""

    def __init__(
        self, header: _Header, rtype: ReturnType, agency: str, context: ExchangeContext, as_of: dt.date
    ) -> None:
        self.rtype = rtype
        self.agency = agency
        self.context = context
        self.as_of = as_of
        self.ncols = len(header.names)
        # Known columns in the file's order: E004/E005/E006/E012 are tried in that order.
        self.ordered: list[tuple[str, int, Column]] = sorted(
            ((name, i, rtype.column(name)) for name, i in header.positions.items()), key=lambda t: t[1]
        )
        self.required = [name for name, _, col in self.ordered if col.required]
        self.has_outcome = "outcome" in header.positions
        self.id_pos = header.positions[rtype.id_column]
        self.key_pos = [header.positions[c] for c in rtype.key_columns]
        self.event_columns = [c.name for c in rtype.columns if c.kind is Kind.EVENT_DATE]
        self.amount_columns = [c.name for c in rtype.columns if c.kind is Kind.AMOUNT]
        self.record_class = RECORD_CLASSES[rtype.name]
        self.all_columns = rtype.column_names
        self.objections = rtype.name == "OBJECTIONS"
        self.moved_here: dict[str, str] = {}  # dossier_id -> objection_id accepted earlier in this file

    def key_of(self, cells: tuple[str, ...]) -> str | None:
        """The record's identity, when every cell of it is present."""
        parts = [cells[i] for i in self.key_pos]
        return KEY_SEPARATOR.join(parts) if all(_present(p) for p in parts) else None

    def describe_key(self, cells: tuple[str, ...]) -> str:
        pairs = zip(self.rtype.key_columns, self.key_pos, strict=True)
        return " with ".join(f"{c} {cells[i]}" for c, i in pairs)

    def judge(self, line_no: int, cells: tuple[str, ...]) -> ReturnRecord:
        """The typed record of a row with the right number of cells, or :class:`_RowFault` (first fault)."""
        values = {name: cells[i] for name, i, _ in self.ordered}
        # E007: required values, and the promise PROMISE_TO_PAY needs (an absent column is missing).
        missing = [c for c in self.required if not values[c] or values[c].isspace()]
        if self.has_outcome and values["outcome"] == PROMISE_TO_PAY:
            missing += [c for c in ("promise_amount", "promise_date") if not _present(values.get(c, ""))]
        if missing:
            why = " (an outcome PROMISE_TO_PAY needs promise_amount and promise_date)" if any(
                c.startswith("promise_") for c in missing) else ""
            raise _RowFault("E007", f"required value missing: {', '.join(missing)}{why}")

        # E004, E005, E006, E012: each present value's form, in the file's column order.
        typed: dict[str, Any] = dict.fromkeys(self.all_columns)
        for name, _, column in self.ordered:
            raw = values[name]
            if raw and not raw.isspace():
                typed[name] = _typed_value(column, raw, values, self.as_of)

        # E001, E002: the dossier.
        dossier = self.context.get(values["dossier_id"])
        if dossier is None:
            raise _RowFault("E001", f"dossier {_show(values['dossier_id'])} is not one the fund assigned")
        if dossier.agency != self.agency:
            raise _RowFault("E002", f"dossier {dossier.dossier_id} is assigned to another agency")
        # E003: event dates within the window, not after a recall.
        for name in self.event_columns:
            if typed[name] is not None:
                _check_window(name, typed[name], dossier)
        # E009: amounts not above total_due as assigned.
        for name in self.amount_columns:
            amount = typed[name]
            if amount is not None and amount > dossier.total_due:
                raise _RowFault(
                    "E009", f"{name} {amount} is above the dossier's total_due {dossier.total_due}"
                )
        if self.objections:  # E013 to E016: the fund's rules on an objection
            _judge_objection(typed, dossier, self.context.rules, self.as_of, self.moved_here)
            self.moved_here.setdefault(dossier.dossier_id, typed["objection_id"])
        return self.record_class(line_no=line_no, **typed)


def _judge_rows(
    rows: list[CsvRow],
    header: _Header,
    rtype: ReturnType,
    agency: str,
    context: ExchangeContext,
    history: ReturnHistory,
    on: dt.date,
) -> tuple[list[ReturnRecord], list[Reject], list[DuplicateRecord]]:
    """Every data row judged: E010 to E008 here, then duplicates and E011 against the history.

    An id is taken by the first row that carries it (whatever that row's fate, unless it has the
    wrong number of cells): a later row with the same id is E008.
    """
    judge = _RowJudge(header, rtype, agency, context, on)
    seen_keys: dict[str, int] = {}
    outcomes: list[ReturnRecord | Reject] = []
    for row in _records(rows, True):
        cells = row.cells
        if len(cells) != judge.ncols:
            rid = cells[judge.id_pos] if judge.id_pos < len(cells) else ""
            outcomes.append(Reject(
                row.line_no, rid, "E010", f"{len(cells)} cells where the header has {judge.ncols}"
            ))
            continue
        key = judge.key_of(cells)
        try:
            record = judge.judge(row.line_no, cells)
            if key is not None and key in seen_keys:
                raise _RowFault(
                    "E008",
                    f"{judge.describe_key(cells)} already on line {seen_keys[key]}; "
                    "the first occurrence stands",
                )
            outcomes.append(record)
        except _RowFault as fault:
            outcomes.append(Reject(row.line_no, cells[judge.id_pos], fault.code, fault.detail))
        if key is not None:
            seen_keys.setdefault(key, row.line_no)

    candidates = [o for o in outcomes if isinstance(o, ReturnRecord)]
    before = history.fingerprints(agency, rtype.name, {r.key for r in candidates}) if candidates else {}
    accepted: list[ReturnRecord] = []
    rejects: list[Reject] = []
    dups: list[DuplicateRecord] = []
    for outcome in outcomes:
        if isinstance(outcome, Reject):
            rejects.append(outcome)
            continue
        earlier = before.get(outcome.key)
        if earlier is None:
            accepted.append(outcome)
        elif earlier == outcome.fingerprint:
            dups.append(DuplicateRecord(outcome.line_no, outcome.record_id, outcome.key))
        else:
            rejects.append(Reject(
                outcome.line_no, outcome.record_id, "E011",
                f"{' with '.join(f'{c} {getattr(outcome, c)}' for c in rtype.key_columns)} "
                "was received before with other content; a record cannot be changed by sending it again",
            ))
    return accepted, rejects, dups


def _judge_objection(
    typed: dict[str, Any], dossier: Dossier, rules: ObjectionRules, on: dt.date, moved_here: dict[str, str],
) -> None:
    """An objection to a recall notice against the fund's rules (docs/agency-exchange.md "Recall notices
    and objections"), first fault first: E013 no pending notice, E014 late, E016 the recall date already
    moved by another objection, E015 evidence refused (type, then amount, then date)."""
    notice = dossier.notice
    if notice is None or dossier.recall_date is not None:
        why = "it is recalled" if dossier.recall_date is not None else "no recall notice was sent for it"
        raise _RowFault("E013", f"dossier_id {dossier.dossier_id}: no pending recall notice ({why})")
    if on > notice.objection_deadline:
        raise _RowFault("E014", f"objection received on {on}, after the objection_deadline "
                                f"{notice.objection_deadline} of the notice of dossier {dossier.dossier_id}")
    objection_id = typed["objection_id"]
    earlier = moved_here.get(dossier.dossier_id) or notice.extended_by
    if earlier is not None and earlier != objection_id:
        raise _RowFault("E016", f"dossier_id {dossier.dossier_id}: its recall date was already moved by "
                                f"objection {earlier}; it moves once")
    kind, amount, day = typed["evidence_type"], typed["evidence_amount"], typed["evidence_date"]
    if kind not in rules.accepted_evidence:
        raise _RowFault("E015", f"evidence_type {kind} is not accepted by the fund "
                                f"(accepted: {', '.join(sorted(rules.accepted_evidence))})")
    floor = (notice.owed_amount * rules.min_amount_share).quantize(_CENT)
    if amount < floor:
        raise _RowFault("E015", f"evidence_amount {amount} is below {rules.min_amount_share:.0%} of the "
                                f"{notice.owed_amount} the dossier owed at the notice ({floor})")
    bound = notice.intended_recall_date + dt.timedelta(days=rules.max_extension_days)
    if day <= notice.intended_recall_date or day > bound:
        raise _RowFault("E015", f"evidence_date {day} is not after the intended recall date "
                                f"{notice.intended_recall_date} and by {bound} "
                                f"({rules.max_extension_days} days at most)")


def _check_window(column: str, day: dt.date, dossier: Dossier) -> None:
    if day < dossier.assignment_start or day > dossier.assignment_end:
        raise _RowFault(
            "E003",
            f"{column} {day} is outside the assignment window of dossier {dossier.dossier_id} "
            f"({dossier.assignment_start} to {dossier.assignment_end})",
        )
    if dossier.recall_date is not None and day > dossier.recall_date:
        raise _RowFault(
            "E003",
            f"{column} {day} is after the recall of dossier {dossier.dossier_id} on {dossier.recall_date}",
        )


_CENT = Decimal("0.01")


@functools.lru_cache(maxsize=4096)
def _amount(raw: str) -> Decimal:
    """An amount already matched against AMOUNT_RE, to the centime (cached: amounts repeat)."""
    return Decimal(raw).quantize(_CENT)


def _typed_value(column: Column, raw: str, values: dict[str, str], on: dt.date) -> Any:
    """The typed value of one present cell, or :class:`_RowFault` (E004, E005, E006 or E012)."""
    name = column.name
    if len(raw) > MAX_CELL_CHARS:
        raise _RowFault("E012", f"{name}: {len(raw):,} characters, more than the {MAX_CELL_CHARS:,} allowed")
    kind = column.kind
    if kind is Kind.EVENT_DATE or kind is Kind.DATE:
        day = parse_iso_date(raw)
        if day is None:
            raise _RowFault("E004", f"{name} {_show(raw)} is not a real date YYYY-MM-DD")
        if kind is Kind.EVENT_DATE and day > on:
            raise _RowFault("E004", f"{name} {day} is after the day the file is judged ({on})")
        return day
    if kind is Kind.AMOUNT:
        if AMOUNT_RE.fullmatch(raw) is None:
            raise _RowFault(
                "E005", f"{name} {_show(raw)} is not an amount like 1234.56 (digits, '.', at most 2 decimals)"
            )
        amount = _amount(raw)
        if amount <= 0:
            raise _RowFault("E005", f"{name} {_show(raw)} must be above zero")
        return amount
    if kind is Kind.CODE:
        if raw not in column.codes:
            raise _RowFault("E006", f"{name} {_show(raw)} is not one of {', '.join(sorted(column.codes))}")
        return raw
    if kind is Kind.INSTALLMENTS:
        if INTEGER_RE.fullmatch(raw) is None or not INSTALLMENTS_MIN <= int(raw) <= INSTALLMENTS_MAX:
            raise _RowFault(
                "E012",
                f"{name} {_show(raw)} is not a whole number from {INSTALLMENTS_MIN} to {INSTALLMENTS_MAX}",
            )
        return int(raw)
    if kind is Kind.CONTACT_VALUE:
        return _contact_value(values.get("field", ""), raw)
    return raw  # DOSSIER, ID, TEXT: as received


def _contact_value(contact_field: str, raw: str) -> str:
    """A CONTACTS value checked against its field: PHONE to E.164, EMAIL form, ACTIVITY_STATUS code."""
    if contact_field == "PHONE":
        e164 = phone_e164(raw)
        if e164 is None:
            raise _RowFault("E012", f"value {_show(raw)} is not a valid Moroccan phone number")
        return e164
    if contact_field == "EMAIL":
        if not is_email(raw):
            raise _RowFault("E012", f"value {_show(raw)} is not one e-mail address of the usual form")
        return raw
    if contact_field == "ACTIVITY_STATUS" and raw not in ACTIVITY_STATUSES:
        raise _RowFault(
            "E006", f"value {_show(raw)} is not an activity status ({', '.join(sorted(ACTIVITY_STATUSES))})"
        )
    return raw  # ADDRESS, CITY, LEGAL_REP, ASSET: free text; an unknown field is E006 on its own column


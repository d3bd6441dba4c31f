"""The fund's outgoing files (agency-exchange v1, "Fund to agency"): build, publish over SFTP, record.

Three steps, shaped for Airflow dynamic task mapping so that the warehouse has a single writer:

1. **build** (one task, reads the warehouse only): :func:`build_packages` (monthly assignment
   packages), :func:`build_recall_files`, :func:`build_payment_notices` write each agency's files
   into a local staging folder ``<out_dir>/<AGENCY>/`` and return small :class:`Package` objects
   (paths, digests, counts: :meth:`Package.to_dict` for XCom).
2. **publish** (one mapped task per agency, no warehouse access): :func:`publish_package` uploads a
   package through an open :class:`~recouvra.sftp.client.SftpClient` (``.part`` + rename, size and
   sha256 verified, data files first and the manifest last) and returns a :class:`Publication`.
3. **record** (one final task): :func:`record_publication` upserts ``core.publication_log`` and marks
   what the agency now knows (dossiers PUBLISHED, ``dossier_recall.file_name``,
   ``core.ledger_payment_notice``) in one transaction, only for what was uploaded.

File format (the contract's "Common rules", with the choices it leaves open):

* UTF-8 without BOM, ``;`` delimiter, ``"`` quote (RFC 4180: a cell holding ``;``, ``"``, CR, LF or
  leading/trailing blanks is quoted, inner quotes doubled), ``\\n`` line ends (also after the last
  row), one header row with the contract's columns in the contract's order, and only those columns,
  then our additions last (the assignment file's ``payment_ref``: :mod:`recouvra.exchange.payment_ref`;
  a package published before it existed is re-published without it, the same bytes).
* Amounts: exactly two decimals, ``.`` separator, no sign (``1234.50``); only REVERSAL rows of a
  payments file carry ``-``. An amount with more than two decimals is an error, never rounded.
  Rates: the fraction without trailing zeros (``0.03``, ``0.025``). Dates ``YYYY-MM-DD``, months
  ``YYYY-MM``. Phones are E.164, emails one address, ICE 15 digits: a stored value that fails its
  format is left empty (optional columns) with a warning in the log, never written malformed; so is
  one that begins with ``=``, ``+``, ``-`` or ``@`` (an e-mail may), the leading ``+`` of E.164 aside.
* Free text (names, addresses, cities, courts, representatives) beginning with ``=``, ``+``, ``-``,
  ``@``, tab, CR or LF gets a leading ``'``; typed cells never do. NUL characters are removed. A cell
  longer than 1,000 characters is cut to 1,000 (the quote prefix included) with a warning in the log.
* Rows are ordered by dossier_id (code-point order, computed in Python so that DuckDB and PostgreSQL
  agree); detail rows then by period and kind (PRINCIPAL, SURCHARGE, PENALTY); payments rows then
  by payment_date and the ledger entry's own id.
* The debtor's fields are those of the ``core.debtor_history`` version valid at
  ``core.dossier.created_at`` (never today's golden record): re-running a month gives the same bytes.
  A dossier whose debtor has no version at that instant is an error.
* A manifest (``.manifest.json``, UTF-8 JSON, indented: :class:`~recouvra.exchange.manifest.Manifest`,
  names from :mod:`recouvra.exchange.names`) lists each data file's name, sha256, data-row
  count and control total (sum of ``total_due`` / ``amount_due`` / ``amount``, two decimals; a
  payments total may be negative). Payments manifests carry ``"date": "YYYY-MM-DD"`` where assignment
  manifests carry ``"month"``. Only ``generated_at`` differs between two builds of the same content.

SEQ of an assignment package: one package per agency and selection run of the month
(``core.selection_run.selection_seq``: the month's selection, then its top-up,
:mod:`recouvra.selection.topup`), numbered in run order among the runs that gave the agency dossiers:
``01`` for the first (the contract's "01 first"), ``02`` for a top-up after it. Each package carries only
its run's dossiers and never replaces another: an agency that got dossiers from both runs holds ``_01``
and ``_02``, and its month is the two together; one the month's selection gave nothing gets its top-up
as ``_01``. A package whose data files differ from those already published under its SEQ
(``core.publication_log``) is refused (:class:`PublicationConflictError`): what an agency received is
never changed; the same bytes republish under the same SEQ (idempotent re-run).

SEQ of a recall or payments file: the file's data is compared with the latest SEQ published for the
same agency, file type and day (``core.publication_log``): identical bytes republish under that SEQ
(idempotent re-run); different bytes take the next SEQ (``01`` when nothing was published).
Published dossiers are never withdrawn by a package, only recalled. An agency or day with nothing to
send gets no file.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
import posixpath
import re
import tempfile
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from recouvra.calendar import FUND_TZ, require_month
from recouvra.errors import RecouvraError
from recouvra.exchange.csvparse import begins_formula, format_rows, formula_guard
from recouvra.exchange.manifest import Manifest, ManifestEntry
from recouvra.exchange.names import (
    OUTBOX,
    added_names,
    assignment_names,
    month_stamp,
    payments_names,
    recall_name,
    recall_notice_name,
)
from recouvra.exchange.payment_ref import payment_ref
from recouvra.exchange.spec import (
    ASSIGNMENT_COLUMNS,
    ASSIGNMENT_COLUMNS_V1,
    DETAIL_COLUMNS,
    DETAIL_KINDS,
    EMAIL_RE,
    MAX_CELL_CHARS,
    MAX_FILE_BYTES,
    NOTICE_REASONS,
    PAYMENTS_COLUMNS,
    RECALL_COLUMNS,
    RECALL_NOTICE_COLUMNS,
    RECALL_REASONS,
    SEGMENTS,
    format_timestamp,
)
from recouvra.ledger import (
    ENTRY_KINDS,
    REVERSAL,
    LedgerEntry,
    LedgerError,
    check_entry,
    read_seen_before,
)
from recouvra.sftp.client import sha256_file
from recouvra.sqlfiles import query

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence

    from recouvra.sftp.client import SftpClient, SftpParams
    from recouvra.warehouse import Warehouse

log = logging.getLogger(__name__)

REMOTE_DIR = OUTBOX
LINE_END = "\n"

CENT = Decimal("0.01")

KINDS = DETAIL_KINDS
PAYMENT_KINDS = ENTRY_KINDS  # the ledger's kinds, as the payments file writes them

PackageKind = Literal["ASSIGNMENT", "RECALL", "RECALLNOTICE", "PAYMENTS", "COMMISSION", "UPDATES", "ADDED"]
FileType = Literal["ASSIGN", "DETAIL", "MANIFEST", "RECALL", "RECALLNOTICE", "PAYMENTS"]

_DOSSIER_RE = re.compile(r"D[0-9]{6}-[0-9]{6}", re.ASCII)
_IDENT_RE = re.compile(r"[0-9A-Za-z][0-9A-Za-z ./-]*", re.ASCII)  # affiliation, RC number, legal form
_ICE_RE = re.compile(r"[0-9]{15}", re.ASCII)
_E164_RE = re.compile(r"\+[1-9][0-9]{7,14}", re.ASCII)
_EMAIL_MAX = 254


# --------------------------------------------------------------------------------------- errors
class PublicationError(RecouvraError):
    """Files cannot be built or published as the contract requires; names agency, file, dossiers."""

    def __init__(self, message: str, *, agency: str | None = None, file: str | None = None) -> None:
        self.agency = agency
        self.file = file
        where = [w for w in (f"agency {agency}" if agency else "", f"file {file}" if file else "") if w]
        super().__init__(f"{message} [{', '.join(where)}]" if where else message)


class PublicationConflictError(PublicationError):
    """The agency's outbox already holds a file of this name with other content: never replaced."""


# ------------------------------------------------------------------------------------- the rows
@dataclass(frozen=True)
class AssignmentRow:
    """One dossier as assigned (core.dossier) with its debtor as known at creation (debtor_history)."""

    dossier_id: str
    affiliation_no: str
    debtor_name: str
    legal_form: str | None
    ice: str | None
    rc_number: str | None
    rc_court: str | None
    address: str
    city: str
    phone_1: str | None
    phone_2: str | None
    email: str | None
    legal_rep_name: str | None
    segment: str
    periods_count: int
    oldest_period: dt.date
    newest_period: dt.date
    principal_due: Decimal
    surcharges_due: Decimal
    penalties_due: Decimal
    total_due: Decimal
    assignment_start: dt.date
    assignment_end: dt.date
    commission_rate: Decimal
    commission_cap: Decimal


@dataclass(frozen=True)
class DetailRow:
    """One unpaid month and kind of a dossier (core.dossier_period)."""

    dossier_id: str
    period: dt.date
    kind: str
    amount_due: Decimal


@dataclass(frozen=True)
class RecallRow:
    """A recall to tell the agency (core.dossier_recall)."""

    dossier_id: str
    recall_date: dt.date
    reason: str


@dataclass(frozen=True)
class RecallNoticeRow:
    """A recall notice to tell the agency (core.recall_notice); no deadline once the date moved."""

    dossier_id: str
    reason: str
    intended_recall_date: dt.date
    objection_deadline: dt.date | None
    owed_amount: Decimal


@dataclass(frozen=True)
class PaymentNoticeRow:
    """A ledger entry of a dossier's debtor. ``ledger_payment_id`` is the entry's own id (the notice
    key); the file shows ``reverses_payment_id`` instead for a REVERSAL, as the contract asks."""

    dossier_id: str
    ledger_payment_id: int
    payment_date: dt.date
    amount: Decimal
    settles_period: dt.date
    kind: str
    reverses_payment_id: int | None = None

    @property
    def shown_payment_id(self) -> int:
        """The id written in the file: the reversed payment's for a REVERSAL."""
        if self.kind == REVERSAL:
            if self.reverses_payment_id is None:
                raise PublicationError(f"reversal {self.ledger_payment_id} names no reversed payment")
            return self.reverses_payment_id
        return self.ledger_payment_id


# ---------------------------------------------------------------------------------------- cells
def amount_cell(value: Decimal, *, signed: bool = False, what: str = "amount") -> str:
    """An amount with exactly two decimals (``1234.50``); negative only when ``signed``."""
    try:
        d = Decimal(value)
    except (InvalidOperation, TypeError, ValueError) as exc:
        raise PublicationError(f"{what}: {value!r} is not an amount") from exc
    if not d.is_finite():
        raise PublicationError(f"{what}: {value!r} is not an amount")
    q = d.quantize(CENT, rounding=ROUND_HALF_UP)
    if q != d:
        raise PublicationError(f"{what}: {value} has more than two decimals (money is never rounded here)")
    if q < 0 and not signed:
        raise PublicationError(f"{what}: {value} is negative")
    if q == 0:
        q = abs(q)  # never "-0.00"
    return f"{q:.2f}"


def rate_cell(value: Decimal, *, what: str = "commission_rate") -> str:
    """A rate as a plain fraction without trailing zeros: ``0.0300`` -> ``0.03``, ``1.0000`` -> ``1``."""
    d = Decimal(value)
    if not d.is_finite() or d < 0 or d > 1:
        raise PublicationError(f"{what}: {value!r} is not a rate between 0 and 1")
    text = format(d.normalize(), "f")
    return "0" if text in {"", "-0"} else text


def date_cell(value: dt.date) -> str:
    """``YYYY-MM-DD``."""
    return _as_date(value).isoformat()


def month_cell(value: dt.date) -> str:
    """``YYYY-MM`` of a month stored as its first day."""
    d = _as_date(value)
    return f"{d.year:04d}-{d.month:02d}"


def text_cell(value: str | None, *, what: str, ref: str = "", required: bool = False) -> str:
    """Free text the fund writes: formula-guarded, NUL removed, cut at 1,000 characters (warning)."""
    text = (value or "").replace("\x00", "")
    if not text.strip():
        if required:
            raise PublicationError(f"{ref}: required {what} is empty")
        return ""
    guarded = formula_guard(text)
    if len(guarded) > MAX_CELL_CHARS:
        log.warning("%s: %s is %d characters long; cut to %d (contract: longest cell %d)",
                    ref, what, len(guarded), MAX_CELL_CHARS, MAX_CELL_CHARS)
        guarded = guarded[:MAX_CELL_CHARS]
    return guarded


def _typed_cell(
    value: str | None, pattern: re.Pattern[str], *, what: str, ref: str, required: bool = False,
    max_len: int = MAX_CELL_CHARS, plus_first: bool = False,
) -> str:
    """A typed cell (code, identifier, phone, email): written as stored, never prefixed.

    A value that fails its format is an error when required, else left empty with a warning: a
    malformed typed value must not reach a spreadsheet (a phone ``=1+2`` would run). So is a value
    that fits its format but begins with a formula character, which the contract forbids to prefix:
    an e-mail address may lawfully begin with ``=``, ``+`` or ``-`` (``=cmd|'/Ccalc'!A0@x.ma``, from an
    agency's CONTACTS update). ``plus_first``: the format's own leading ``+`` (an E.164 phone, digits
    only after it, which a spreadsheet reads as a number and runs nothing).
    """
    text = (value or "").strip()
    if not text:
        if required:
            raise PublicationError(f"{ref}: required {what} is empty")
        return ""
    if len(text) > max_len or not pattern.fullmatch(text):
        why = "does not have the expected form"
    elif begins_formula(text) and not (plus_first and text[0] == "+"):
        why = "begins like a spreadsheet formula"
    else:
        return text
    if required:
        raise PublicationError(f"{ref}: {what} {text[:40]!r} {why}")
    log.warning("%s: %s %r %s; left empty", ref, what, text[:40], why)
    return ""


def _code(value: str, allowed: Iterable[str], *, what: str, ref: str) -> str:
    if value not in allowed:
        raise PublicationError(f"{ref}: {what} {value!r} is not one of {sorted(allowed)}")
    return value


def _as_date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        return dt.date.fromisoformat(value)
    raise PublicationError(f"{value!r} is not a date")


def _dossier_id(value: str) -> str:
    if not _DOSSIER_RE.fullmatch(value or ""):
        raise PublicationError(f"dossier_id {value!r} is not of the form D<YYYYMM>-<6 digits>")
    return value


# ------------------------------------------------------------------------------- pure renderers
def csv_bytes(header: Sequence[str], rows: Iterable[Sequence[str]]) -> bytes:
    """The exact bytes of a fund CSV: UTF-8 (no BOM), ``;``, RFC 4180 quoting, ``\\n`` line ends."""
    return format_rows([list(header), *[list(r) for r in rows]], line_end=LINE_END).encode("utf-8")


def assignment_cells(row: AssignmentRow) -> list[str]:
    """One assignment row's cells, in :data:`ASSIGNMENT_COLUMNS` order (the payment reference last)."""
    ref = _dossier_id(row.dossier_id)
    return [
        ref,
        _typed_cell(row.affiliation_no, _IDENT_RE, what="affiliation_no", ref=ref, required=True),
        text_cell(row.debtor_name, what="debtor_name", ref=ref, required=True),
        _typed_cell(row.legal_form, _IDENT_RE, what="legal_form", ref=ref),
        _typed_cell(row.ice, _ICE_RE, what="ice", ref=ref),
        _typed_cell(row.rc_number, _IDENT_RE, what="rc_number", ref=ref),
        text_cell(row.rc_court, what="rc_court", ref=ref),
        text_cell(row.address, what="address", ref=ref, required=True),
        text_cell(row.city, what="city", ref=ref, required=True),
        _typed_cell(row.phone_1, _E164_RE, what="phone_1", ref=ref, plus_first=True),
        _typed_cell(row.phone_2, _E164_RE, what="phone_2", ref=ref, plus_first=True),
        _typed_cell(row.email, EMAIL_RE, what="email", ref=ref, max_len=_EMAIL_MAX),
        text_cell(row.legal_rep_name, what="legal_rep_name", ref=ref),
        _code(row.segment, SEGMENTS, what="segment", ref=ref),
        str(int(row.periods_count)),
        month_cell(row.oldest_period),
        month_cell(row.newest_period),
        amount_cell(row.principal_due, what=f"{ref} principal_due"),
        amount_cell(row.surcharges_due, what=f"{ref} surcharges_due"),
        amount_cell(row.penalties_due, what=f"{ref} penalties_due"),
        amount_cell(row.total_due, what=f"{ref} total_due"),
        date_cell(row.assignment_start),
        date_cell(row.assignment_end),
        rate_cell(row.commission_rate, what=f"{ref} commission_rate"),
        amount_cell(row.commission_cap, what=f"{ref} commission_cap"),
        payment_ref(ref),
    ]


def render_assignment(rows: Iterable[AssignmentRow], *, with_payment_ref: bool = True) -> bytes:
    """The assignment file ``CNSS_ASSIGN_...csv``: header and one row per dossier, by dossier_id.
    ``with_payment_ref=False``: without the last column, as packages published before it existed."""
    ordered = sorted(rows, key=lambda r: r.dossier_id)
    _no_repeats([r.dossier_id for r in ordered], "assignment")
    if not with_payment_ref:
        width = len(ASSIGNMENT_COLUMNS_V1)
        return csv_bytes(ASSIGNMENT_COLUMNS_V1, (assignment_cells(r)[:width] for r in ordered))
    return csv_bytes(ASSIGNMENT_COLUMNS, (assignment_cells(r) for r in ordered))


def _detail_key(r: DetailRow) -> tuple[str, dt.date, int]:
    return (r.dossier_id, _as_date(r.period), KINDS.index(r.kind) if r.kind in KINDS else len(KINDS))


def render_detail(rows: Iterable[DetailRow]) -> bytes:
    """The detail file ``CNSS_DETAIL_...csv``: by dossier_id, period, kind (PRINCIPAL, SURCHARGE, PENALTY)."""
    out = []
    for r in sorted(rows, key=_detail_key):
        ref = _dossier_id(r.dossier_id)
        out.append([ref, month_cell(r.period), _code(r.kind, KINDS, what="kind", ref=ref),
                    amount_cell(r.amount_due, what=f"{ref} amount_due")])
    return csv_bytes(DETAIL_COLUMNS, out)


def render_recall(rows: Iterable[RecallRow]) -> bytes:
    """The recall file ``CNSS_RECALL_...csv``: ``dossier_id;recall_date;reason`` by dossier_id."""
    ordered = sorted(rows, key=lambda r: r.dossier_id)
    _no_repeats([r.dossier_id for r in ordered], "recall")
    return csv_bytes(RECALL_COLUMNS, (
        [_dossier_id(r.dossier_id), date_cell(r.recall_date),
         _code(r.reason, RECALL_REASONS, what="reason", ref=r.dossier_id)]
        for r in ordered
    ))


def render_recall_notice(rows: Iterable[RecallNoticeRow]) -> bytes:
    """The notice file ``CNSS_RECALLNOTICE_...csv`` (addition to agency-exchange/1):
    ``dossier_id;reason;intended_recall_date;objection_deadline;owed_amount`` by dossier_id and date."""
    ordered = sorted(rows, key=lambda r: (r.dossier_id, r.intended_recall_date))
    _no_repeats([r.dossier_id for r in ordered], "recall notice")
    return csv_bytes(RECALL_NOTICE_COLUMNS, (
        [_dossier_id(r.dossier_id), _code(r.reason, NOTICE_REASONS, what="reason", ref=r.dossier_id),
         date_cell(r.intended_recall_date),
         "" if r.objection_deadline is None else date_cell(r.objection_deadline),
         amount_cell(r.owed_amount, what="owed_amount")]
        for r in ordered
    ))


def _payment_key(r: PaymentNoticeRow) -> tuple[str, dt.date, int]:
    return (r.dossier_id, _as_date(r.payment_date), r.ledger_payment_id)


def payment_cells(r: PaymentNoticeRow) -> list[str]:
    """One payments row; a REVERSAL shows the reversed payment's id and a negative amount."""
    ref = _dossier_id(r.dossier_id)
    kind = _code(r.kind, PAYMENT_KINDS, what="kind", ref=ref)
    what = f"{ref} ledger entry {r.ledger_payment_id} amount"
    try:
        check_entry(kind, Decimal(r.amount), r.reverses_payment_id)
    except LedgerError as exc:
        raise PublicationError(f"{what}: {exc}") from exc
    return [ref, str(int(r.shown_payment_id)), date_cell(r.payment_date),
            amount_cell(r.amount, signed=kind == REVERSAL, what=what), month_cell(r.settles_period), kind]


def render_payments(rows: Iterable[PaymentNoticeRow]) -> bytes:
    """The weekly payments file ``CNSS_PAYMENTS_...csv`` by dossier_id, payment_date, entry id."""
    ordered = sorted(rows, key=_payment_key)
    _no_repeats([(r.dossier_id, r.ledger_payment_id) for r in ordered], "payments")
    return csv_bytes(PAYMENTS_COLUMNS, (payment_cells(r) for r in ordered))


def _no_repeats(keys: Sequence[object], what: str) -> None:
    seen: set[object] = set()
    repeated: set[str] = set()
    for k in keys:
        if k in seen:
            repeated.add(str(k))
        seen.add(k)
    if repeated:
        raise PublicationError(f"{what} rows repeated: {', '.join(sorted(repeated)[:10])}")


def control_total(amounts: Iterable[Decimal]) -> str:
    """Sum of amounts as a decimal string with two decimals (may be negative for payments)."""
    total = sum((Decimal(a) for a in amounts), Decimal("0"))
    return amount_cell(total, signed=True, what="control_total")


def check_assignment(rows: Sequence[AssignmentRow], details: Sequence[DetailRow]) -> None:
    """Refuse a package whose detail rows do not add up to each dossier's amounts and periods."""
    by_dossier: dict[str, list[DetailRow]] = defaultdict(list)
    for d in details:
        by_dossier[d.dossier_id].append(d)
    known = {r.dossier_id for r in rows}
    problems = [f"{k}: detail rows without an assignment row" for k in sorted(set(by_dossier) - known)]
    for r in rows:
        ds = by_dossier.get(r.dossier_id, [])
        sums = {k: sum((Decimal(d.amount_due) for d in ds if d.kind == k), Decimal("0")) for k in KINDS}
        periods = sorted({_as_date(d.period) for d in ds})
        expected = {"PRINCIPAL": r.principal_due, "SURCHARGE": r.surcharges_due, "PENALTY": r.penalties_due}
        for kind, amount in expected.items():
            if sums[kind] != Decimal(amount):
                problems.append(
                    f"{r.dossier_id}: {kind} detail rows sum to {sums[kind]}, dossier says {amount}"
                )
        if Decimal(r.total_due) != sum((Decimal(a) for a in expected.values()), Decimal("0")):
            problems.append(f"{r.dossier_id}: total_due {r.total_due} is not the sum of its kinds")
        if not periods:
            problems.append(f"{r.dossier_id}: no detail rows")
        elif (len(periods), periods[0], periods[-1]) != (
            r.periods_count, _as_date(r.oldest_period), _as_date(r.newest_period)
        ):
            problems.append(
                f"{r.dossier_id}: detail has {len(periods)} months {month_cell(periods[0])}.."
                f"{month_cell(periods[-1])}, dossier says {r.periods_count} "
                f"{month_cell(r.oldest_period)}..{month_cell(r.newest_period)}"
            )
    if problems:
        raise PublicationError(
            f"assignment and detail disagree for {len(problems)} case(s): " + "; ".join(problems[:10])
        )


# ------------------------------------------------------------------------------------ file names
# The names themselves are the contract's: recouvra.exchange.names (assignment_names, recall_name,
# payments_names, month_stamp), imported above.
def choose_seq(published: Iterable[tuple[int, str, str]], digests: Mapping[str, str]) -> int:
    """The SEQ of a package whose data files have ``digests`` ({file_type: sha256}).

    ``published`` holds (seq, file_type, sha256) already logged for the same agency, period label and
    file types. Same bytes as the latest SEQ: that SEQ again; otherwise the next one (``1`` first).
    """
    by_seq: dict[int, dict[str, str]] = defaultdict(dict)
    for seq, file_type, digest in published:
        by_seq[int(seq)][file_type] = digest
    if not by_seq:
        return 1
    latest = max(by_seq)
    return latest if by_seq[latest] == dict(digests) else latest + 1


def assignment_seq(published: Iterable[tuple[int, str, str]], seq: int, digests: Mapping[str, str]) -> int:
    """``seq``, the SEQ of an assignment package (from its dossiers' selection run), once checked against
    what was published under it: nothing yet, or the same bytes (a re-run). Other bytes under that SEQ
    raise :class:`PublicationConflictError`: a package an agency received is never replaced, and a later
    run of the month goes out under its own SEQ."""
    logged = {str(t): str(h) for s, t, h in published if int(s) == seq}
    if logged and logged != dict(digests):
        raise PublicationConflictError(
            f"the package of SEQ {seq:02d} was already published with other content "
            f"({', '.join(sorted(logged))} differ from what the warehouse gives now): a published package is "
            "never replaced; find what changed the month's dossiers since (core.dossier, "
            "core.debtor_history) before publishing")
    return seq


# ------------------------------------------------------------------------------------- packages
@dataclass(frozen=True)
class OutFile:
    """A file built locally: what the manifest and core.publication_log say about it."""

    name: str
    file_type: str
    path: str
    sha256: str
    size: int
    rows: int
    control_total: str | None


@dataclass(frozen=True)
class Package:
    """What one agency is sent at once: data files (in upload order) and, for packages, a manifest.

    ``dossier_ids``: dossiers the files tell about (assignment, recall); ``notices``: (ledger entry
    id, dossier_id) pairs of a payments file. JSON-friendly through :meth:`to_dict` for XCom.
    """

    kind: PackageKind
    agency: str
    period_label: str
    seq: int
    generated_at: str
    files: tuple[OutFile, ...]
    manifest: OutFile | None = None
    dossier_ids: tuple[str, ...] = ()
    notices: tuple[tuple[int, str], ...] = ()

    @property
    def all_files(self) -> tuple[OutFile, ...]:
        return self.files + ((self.manifest,) if self.manifest is not None else ())

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind, "agency": self.agency, "period_label": self.period_label, "seq": self.seq,
            "generated_at": self.generated_at, "files": [vars(f) for f in self.files],
            "manifest": vars(self.manifest) if self.manifest else None,
            "dossier_ids": list(self.dossier_ids), "notices": [list(n) for n in self.notices],
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Package:
        return cls(
            kind=d["kind"], agency=d["agency"], period_label=d["period_label"], seq=int(d["seq"]),
            generated_at=d["generated_at"], files=tuple(OutFile(**f) for f in d["files"]),
            manifest=OutFile(**d["manifest"]) if d.get("manifest") else None,
            dossier_ids=tuple(d.get("dossier_ids", ())),
            notices=tuple((int(a), str(b)) for a, b in d.get("notices", ())),
        )


def generated_stamp(now: dt.datetime | None) -> str:
    """A manifest's ``generated_at``: UTC, to the second, ``Z``-suffixed (now when not given)."""
    return format_timestamp(now or dt.datetime.now(dt.UTC))


def _write(path: Path, data: bytes) -> None:
    """Write a local file atomically (temporary name, fsync, rename)."""
    if len(data) > MAX_FILE_BYTES:
        raise PublicationError(f"{len(data)} bytes is above the contract's 50 MiB limit", file=path.name)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def out_file(folder: Path, name: str, file_type: str, data: bytes, rows: int, total: str | None) -> OutFile:
    """Write one outgoing file atomically in ``folder`` and describe it (sha256, size, rows, total)."""
    path = folder / name
    _write(path, data)
    return OutFile(name, file_type, str(path), hashlib.sha256(data).hexdigest(), len(data), rows, total)


def write_assignment_package(
    out_dir: Path, agency: str, month: dt.date, seq: int, rows: Sequence[AssignmentRow],
    details: Sequence[DetailRow], *, now: dt.datetime | None = None, with_payment_ref: bool = True,
) -> Package:
    """Write one agency's monthly package (assignment, detail, then manifest) under ``out_dir/<AGENCY>/``.
    ``with_payment_ref``: see :func:`render_assignment`."""
    check_assignment(rows, details)
    assign_name, detail_name, manifest_name = assignment_names(agency, month, seq)
    folder = Path(out_dir) / agency
    assign_data = render_assignment(rows, with_payment_ref=with_payment_ref)
    assign = out_file(folder, assign_name, "ASSIGN", assign_data, len(rows),
                      control_total(r.total_due for r in rows))
    detail = out_file(folder, detail_name, "DETAIL", render_detail(details), len(details),
                  control_total(d.amount_due for d in details))
    generated_at = generated_stamp(now)
    manifest = out_file(folder, manifest_name, "MANIFEST", Manifest(
        agency, seq, generated_at,
        tuple(ManifestEntry(f.name, f.sha256, f.rows, f.control_total or "0.00") for f in (assign, detail)),
        month=month_cell(month),
    ).render(), 0, None)
    return Package("ASSIGNMENT", agency, month_stamp(month), seq, generated_at, (assign, detail), manifest,
                   dossier_ids=tuple(sorted(r.dossier_id for r in rows)))


def write_recall_file(
    out_dir: Path, agency: str, on: dt.date, seq: int, rows: Sequence[RecallRow],
    *, now: dt.datetime | None = None,
) -> Package:
    """Write one agency's recall file (no manifest: the contract gives it none)."""
    data = render_recall(rows)
    f = out_file(Path(out_dir) / agency, recall_name(agency, on, seq), "RECALL", data, len(rows), None)
    return Package("RECALL", agency, f"{on:%Y%m%d}", seq, generated_stamp(now), (f,),
                   dossier_ids=tuple(sorted(r.dossier_id for r in rows)))


def write_recall_notice_file(
    out_dir: Path, agency: str, on: dt.date, seq: int, rows: Sequence[RecallNoticeRow],
    *, now: dt.datetime | None = None,
) -> Package:
    """Write one agency's recall notice file (no manifest, as a recall file)."""
    data = render_recall_notice(rows)
    f = out_file(Path(out_dir) / agency, recall_notice_name(agency, on, seq), "RECALLNOTICE", data,
                 len(rows), None)
    return Package("RECALLNOTICE", agency, f"{on:%Y%m%d}", seq, generated_stamp(now), (f,),
                   dossier_ids=tuple(sorted(r.dossier_id for r in rows)))


def write_payments_file(
    out_dir: Path, agency: str, on: dt.date, seq: int, rows: Sequence[PaymentNoticeRow],
    *, now: dt.datetime | None = None,
) -> Package:
    """Write one agency's weekly payments file and its manifest (written last)."""
    name, manifest_name = payments_names(agency, on, seq)
    folder = Path(out_dir) / agency
    f = out_file(folder, name, "PAYMENTS", render_payments(rows), len(rows),
             control_total(r.amount for r in rows))
    generated_at = generated_stamp(now)
    manifest = out_file(folder, manifest_name, "MANIFEST", Manifest(
        agency, seq, generated_at, (ManifestEntry(f.name, f.sha256, f.rows, f.control_total or "0.00"),),
        date=on.isoformat(),
    ).render(), 0, None)
    return Package("PAYMENTS", agency, f"{on:%Y%m%d}", seq, generated_at, (f,), manifest,
                   notices=tuple(sorted((r.ledger_payment_id, r.dossier_id) for r in rows)))


def write_added_file(
    out_dir: Path, agency: str, on: dt.date, seq: int, rows: Sequence[DetailRow],
    *, now: dt.datetime | None = None,
) -> Package:
    """Write one agency's supplementary detail file of day ``on`` (months added to its open dossiers,
    a detail file's columns) and its manifest (written last), as for a package."""
    name, manifest_name = added_names(agency, on, seq)
    folder = Path(out_dir) / agency
    # Recorded as a DETAIL file (core.publication_log): it is one, labelled by its day.
    f = out_file(folder, name, "DETAIL", render_detail(rows), len(rows),
                 control_total(r.amount_due for r in rows))
    generated_at = generated_stamp(now)
    manifest = out_file(folder, manifest_name, "MANIFEST", Manifest(
        agency, seq, generated_at, (ManifestEntry(f.name, f.sha256, f.rows, f.control_total or "0.00"),),
        date=on.isoformat(),
    ).render(), 0, None)
    return Package("ADDED", agency, f"{on:%Y%m%d}", seq, generated_at, (f,), manifest,
                   dossier_ids=tuple(sorted({r.dossier_id for r in rows})))


# ------------------------------------------------------------------------------ warehouse reads
def _published(
    wh: Warehouse, agency: str, period_label: str, types: Sequence[str]
) -> list[tuple[int, str, str]]:
    """(seq, file_type, sha256) of what was already published under this agency and period label."""
    return [(int(s), str(t), str(h)) for s, t, _, h in
            wh.query(query("publication/select_published_files"), [agency, period_label, list(types)])]


def read_assignment(
    wh: Warehouse, month: dt.date
) -> dict[tuple[str, int], tuple[list[AssignmentRow], list[DetailRow]]]:
    """Assignment and detail rows of a month's dossiers, by agency and selection run
    (``selection_seq``): every dossier of the month, whatever its status since, so that a re-run gives
    the same bytes."""
    first = require_month(month)
    rows: dict[tuple[str, int], list[AssignmentRow]] = defaultdict(list)
    missing: list[str] = []
    for r in wh.query(query("publication/select_assignment_rows"), [first]):
        (dossier_id, agency, affiliation_no, name, form, ice, rc_no, rc_court, address, city, p1, p2, email,
         rep, segment, count, oldest, newest, principal, surcharges, penalties, total, start, end, rate,
         cap, has_history, seq) = r
        if not has_history:
            missing.append(str(dossier_id))
            continue
        rows[(str(agency), int(seq))].append(AssignmentRow(
            str(dossier_id), str(affiliation_no), name, form, ice, rc_no, rc_court, address, city, p1, p2,
            email, rep, str(segment), int(count), _as_date(oldest), _as_date(newest), Decimal(principal),
            Decimal(surcharges), Decimal(penalties), Decimal(total), _as_date(start), _as_date(end),
            Decimal(rate), Decimal(cap),
        ))
    if missing:
        raise PublicationError(
            f"{len(missing)} dossier(s) of {month_cell(first)} have no debtor_history version valid at "
            f"their created_at: {', '.join(sorted(missing)[:10])}"
        )
    details: dict[tuple[str, int], list[DetailRow]] = defaultdict(list)
    periods = wh.query(query("publication/select_dossier_periods"), [first])
    for dossier_id, agency, period, kind, amount, seq in periods:
        details[(str(agency), int(seq))].append(
            DetailRow(str(dossier_id), _as_date(period), str(kind), Decimal(amount)))
    return {k: (rows[k], details.get(k, [])) for k in sorted(rows)}


def build_packages(
    wh: Warehouse, month: dt.date, out_dir: Path, *, agencies: Iterable[str] | None = None,
    now: dt.datetime | None = None, selection_seq: int | None = None,
) -> list[Package]:
    """Build each agency's assignment packages of ``month`` under ``out_dir/<AGENCY>/`` (reads only):
    one per selection run that gave the agency dossiers (``selection_seq``: only that run's, e.g. ``2``
    for a top-up; None: every run's), its SEQ the run's rank among the agency's runs of the month.

    Agencies without a dossier get no package. A package whose bytes differ from those published under
    its SEQ is refused (:func:`assignment_seq`).
    """
    first = require_month(month)
    wanted = set(agencies) if agencies is not None else None
    assignments = read_assignment(wh, first)
    runs: dict[str, list[int]] = defaultdict(list)
    for agency, run in sorted(assignments):
        runs[agency].append(run)
    packages = []
    for (agency, run), (rows, details) in assignments.items():
        if (wanted is not None and agency not in wanted) or selection_seq not in (None, run):
            continue
        seq = runs[agency].index(run) + 1  # 01 first: the agency's first run with dossiers
        try:
            check_assignment(rows, details)
            published = _published(wh, agency, month_stamp(first), ["ASSIGN", "DETAIL"])
            detail_digest = _digest(render_detail(details))
            # A package published before the payment reference existed is re-published as it was sent.
            with_ref = {"ASSIGN": _digest(render_assignment(rows, with_payment_ref=False)),
                        "DETAIL": detail_digest} != {str(t): str(h) for s, t, h in published if int(s) == seq}
            digests = {"ASSIGN": _digest(render_assignment(rows, with_payment_ref=with_ref)),
                       "DETAIL": detail_digest}
            assignment_seq(published, seq, digests)
        except PublicationError as exc:
            raise type(exc)(str(exc), agency=agency) from exc
        pkg = write_assignment_package(out_dir, agency, first, seq, rows, details, now=now,
                                       with_payment_ref=with_ref)
        log.info("built %s: %d dossiers, total %s", pkg.files[0].name, pkg.files[0].rows,
                 pkg.files[0].control_total)
        packages.append(pkg)
    return packages


def published_files(
    wh: Warehouse, agency: str, period_label: str, types: Sequence[str]
) -> list[tuple[int, str, str]]:
    """(seq, file_type, sha256) already published under this agency and period label: what
    :func:`choose_seq` compares a new file with (for stages that write their own kind of file)."""
    return _published(wh, agency, period_label, types)


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def build_recall_files(
    wh: Warehouse, on: dt.date, out_dir: Path, *, agencies: Iterable[str] | None = None,
    now: dt.datetime | None = None, notices: bool = True,
) -> list[Package]:
    """Recall files of day ``on``: each agency's recalls not yet told (file_name NULL), decided on or
    before that day (the lifecycle's day judged, whenever the run happened); then, unless ``notices`` is
    False, its recall notice files (:func:`build_recall_notice_files`)."""
    wanted = set(agencies) if agencies is not None else None
    by_agency: dict[str, list[RecallRow]] = defaultdict(list)
    pending = wh.query(query("publication/select_pending_recalls"), [on])
    for dossier_id, agency, recall_date, reason in pending:
        by_agency[str(agency)].append(RecallRow(str(dossier_id), _as_date(recall_date), str(reason)))
    packages = []
    for agency in sorted(by_agency):
        if wanted is not None and agency not in wanted:
            continue
        rows = by_agency[agency]
        seq = choose_seq(_published(wh, agency, f"{on:%Y%m%d}", ["RECALL"]),
                         {"RECALL": _digest(render_recall(rows))})
        packages.append(write_recall_file(out_dir, agency, on, seq, rows, now=now))
    if notices:
        packages += build_recall_notice_files(wh, on, out_dir, agencies=agencies, now=now)
    return packages


def build_recall_notice_files(
    wh: Warehouse, on: dt.date, out_dir: Path, *, agencies: Iterable[str] | None = None,
    now: dt.datetime | None = None,
) -> list[Package]:
    """Recall notice files of day ``on``: each agency's notices not yet told (file_name NULL), decided
    on or before that day (docs/agency-exchange.md "Recall notices and objections")."""
    wanted = set(agencies) if agencies is not None else None
    by_agency: dict[str, list[RecallNoticeRow]] = defaultdict(list)
    for dossier_id, agency, reason, intended, deadline, owed in wh.query(
            query("publication/select_pending_recall_notices"), [on]):
        by_agency[str(agency)].append(RecallNoticeRow(
            str(dossier_id), str(reason), _as_date(intended),
            None if deadline is None else _as_date(deadline), Decimal(owed)))
    packages = []
    for agency in sorted(by_agency):
        if wanted is not None and agency not in wanted:
            continue
        rows = by_agency[agency]
        seq = choose_seq(_published(wh, agency, f"{on:%Y%m%d}", ["RECALLNOTICE"]),
                         {"RECALLNOTICE": _digest(render_recall_notice(rows))})
        packages.append(write_recall_notice_file(out_dir, agency, on, seq, rows, now=now))
    return packages


def build_added_files(
    wh: Warehouse, on: dt.date, out_dir: Path, *, agencies: Iterable[str] | None = None,
    now: dt.datetime | None = None,
) -> list[Package]:
    """Supplementary detail files of day ``on``: each agency's months added that day to its open dossiers
    (``core.dossier_addition``, :func:`recouvra.selection.additions.add_debts`). A re-run rebuilds the
    same bytes under the same SEQ; an agency with nothing added gets no file."""
    wanted = set(agencies) if agencies is not None else None
    by_agency: dict[str, list[DetailRow]] = defaultdict(list)
    for dossier_id, agency, period, kind, amount in wh.query(query("publication/select_day_additions"), [on]):
        by_agency[str(agency)].append(DetailRow(str(dossier_id), _as_date(period), str(kind),
                                                Decimal(amount)))
    packages = []
    for agency in sorted(by_agency):
        if wanted is not None and agency not in wanted:
            continue
        rows = by_agency[agency]
        seq = choose_seq(_published(wh, agency, f"{on:%Y%m%d}", ["DETAIL"]),
                         {"DETAIL": _digest(render_detail(rows))})
        packages.append(write_added_file(out_dir, agency, on, seq, rows, now=now))
    return packages


def build_month_files(wh: Warehouse, month: dt.date, out_dir: Path) -> list[Package]:
    """What ``assignment_monthly`` sends on the month's first day: each agency's assignment packages, its
    recall file and its supplementary detail file of added months (reads only)."""
    return (build_packages(wh, month, out_dir) + build_recall_files(wh, month, out_dir)
            + build_added_files(wh, month, out_dir))


def by_agency(packages: Iterable[Package]) -> list[list[dict[str, Any]]]:
    """The packages as one list per agency (the agencies in first-package order, each agency's packages in
    build order), JSON-friendly: one ``publish`` task per agency sends them all through one SFTP session
    (``assignment_monthly`` builds up to three file sets per agency: package, recalls, added months)."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for p in packages:
        groups.setdefault(p.agency, []).append(p.to_dict())
    return list(groups.values())


def _first_seen_at(e: LedgerEntry) -> dt.datetime:
    """The start of the day the ledger first held ``e`` (what "recorded after the dossier was created"
    compares)."""
    if e.first_seen_on is None:
        raise PublicationError(f"ledger entry {e.ledger_payment_id} has no first_seen_on")
    return dt.datetime.combine(e.first_seen_on, dt.time())


def build_payment_notices(
    wh: Warehouse, on: dt.date, out_dir: Path, *,
    agencies: Iterable[str] | None = None, now: dt.datetime | None = None,
) -> list[Package]:
    """Weekly payments files of day ``on``: for each agency's dossiers open on ``on`` (published, no recall
    decided by then: a re-run of the day after a later recall tells the same), the ledger payments and
    reversals of the dossier's debtor not yet told to that agency.

    Reads the warehouse only: the ledger is ``core.ledger_payment``, loaded beforehand by
    :func:`recouvra.ledger.load_ledger_before` (the weekly DAG's first task). The debtor's affiliation
    numbers are the dossier's own and those currently bridged to its debtor
    (``core.bridge_affiliation_debtor``). An entry counts when first seen before ``on``
    (:func:`recouvra.ledger.read_seen_before`: recorded before the day began, the extraction's
    watermark, so a re-run of the day tells the same entries whatever was loaded since), dated by
    ``on``, and either dated on or after ``assignment_start`` or first seen after the dossier was
    created; entries already in ``core.ledger_payment_notice`` for (agency, entry, dossier) are left
    out.
    """
    wanted = set(agencies) if agencies is not None else None
    dossiers = [
        (str(did), str(ag), int(debtor), str(aff), _as_date(start), created)
        for did, ag, debtor, aff, start, created in wh.query(query("publication/select_open_dossiers"), [on])
        if wanted is None or ag in wanted
    ]
    if not dossiers:
        return []
    affs: dict[int, set[str]] = defaultdict(set)
    debtors = sorted({d[2] for d in dossiers})
    for debtor, aff in wh.query(query("publication/select_debtor_affiliations"), [debtors]):
        affs[int(debtor)].add(str(aff))
    for _, _, debtor, aff, _, _ in dossiers:
        affs[debtor].add(aff)
    notified = {(str(a), int(p), str(d)) for a, p, d in
                wh.query(query("publication/select_notified_payments"), [sorted(d[0] for d in dossiers)])}
    by_aff: dict[str, list[LedgerEntry]] = defaultdict(list)
    for e in read_seen_before(wh, set().union(*affs.values()), on):
        by_aff[e.affiliation_no].append(e)
    by_agency: dict[str, list[PaymentNoticeRow]] = defaultdict(list)
    for dossier_id, agency, debtor, _, start, created in dossiers:
        for aff in sorted(affs[debtor]):
            for e in by_aff.get(aff, []):
                if (agency, e.ledger_payment_id, dossier_id) in notified:
                    continue
                if e.payment_date > on or not (e.payment_date >= start or _first_seen_at(e) >= created):
                    continue
                by_agency[agency].append(PaymentNoticeRow(
                    dossier_id, e.ledger_payment_id, e.payment_date, e.amount, e.settles_period, e.kind,
                    e.reverses_payment_id,
                ))
    packages = []
    for agency in sorted(by_agency):
        rows = by_agency[agency]
        seq = choose_seq(_published(wh, agency, f"{on:%Y%m%d}", ["PAYMENTS"]),
                         {"PAYMENTS": _digest(render_payments(rows))})
        packages.append(write_payments_file(out_dir, agency, on, seq, rows, now=now))
    return packages


# ------------------------------------------------------------------------------------ publishing
@dataclass(frozen=True)
class PublishedFile:
    """A file now under its final name on the agency's account."""

    name: str
    file_type: str
    remote_path: str
    sha256: str
    rows: int
    control_total: str | None


@dataclass(frozen=True)
class Publication:
    """What one upload did: small metadata for the recording task (:meth:`to_dict` for XCom)."""

    package: Package
    files: tuple[PublishedFile, ...]
    published_at: str  # UTC, YYYY-MM-DDTHH:MM:SSZ

    def to_dict(self) -> dict[str, Any]:
        return {"package": self.package.to_dict(), "files": [vars(f) for f in self.files],
                "published_at": self.published_at}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Publication:
        return cls(Package.from_dict(d["package"]), tuple(PublishedFile(**f) for f in d["files"]),
                   str(d["published_at"]))


def _guard_existing(client: SftpClient, package: Package, remote_dir: str) -> None:
    """Refuse to replace a data file the agency may already hold with different content.

    The same name with the same bytes is fine (an idempotent re-run). Manifests are always replaced
    (their ``generated_at`` differs).
    """
    present = {f.name: f for f in client.list_ready(remote_dir)}
    for f in package.files:
        remote = present.get(f.name)
        if remote is None:
            continue
        same = remote.size == f.size
        if same:
            with tempfile.TemporaryDirectory(prefix="recouvra-check-") as tmp:
                same = client.download(remote.path, Path(tmp) / f.name).sha256 == f.sha256
        if not same:
            raise PublicationConflictError(
                f"{remote.path} already exists with other content ({remote.size} bytes); it was "
                "published but not recorded in core.publication_log, or changed by hand: reconcile "
                "before publishing", agency=package.agency, file=f.name,
            )


def publish_package(client: SftpClient, package: Package, remote_dir: str = REMOTE_DIR) -> Publication:
    """Upload a package through an open SFTP session; no warehouse access (a mapped Airflow task).

    Local files are checked against the package's digests first; data files go up first and the
    manifest last (``.part`` + rename, verified). SFTP failures raise the client's typed errors
    (:class:`~recouvra.sftp.errors.SftpError`: agency, host and path named; nothing under a final name).
    """
    for f in package.all_files:
        path = Path(f.path)
        if not path.is_file() or sha256_file(path) != (f.size, f.sha256):
            raise PublicationError(f"local file {path} is missing or changed since it was built",
                                   agency=package.agency, file=f.name)
    _guard_existing(client, package, remote_dir)
    sent: list[PublishedFile] = []
    if package.manifest is not None:
        done = client.publish_package([Path(f.path) for f in package.files], Path(package.manifest.path),
                                      remote_dir)
        transfers = [*done.files, done.manifest]
    else:
        transfers = [client.upload_atomic(Path(f.path), posixpath.join(remote_dir, f.name))
                     for f in package.files]
    for f, t in zip(package.all_files, transfers, strict=True):
        if t.sha256 != f.sha256:  # the client verified the remote copy against the local file
            raise PublicationError(f"uploaded sha256 {t.sha256} differs from the built {f.sha256}",
                                   agency=package.agency, file=f.name)
        sent.append(PublishedFile(f.name, f.file_type, t.path, t.sha256, f.rows, f.control_total))
    publication = Publication(package, tuple(sent), generated_stamp(None))
    log.info("published %s for agency %s (%d files)", package.files[0].name, package.agency, len(sent))
    return publication


def publish_with_params(params: SftpParams, package: Package, remote_dir: str = REMOTE_DIR) -> Publication:
    """Open one SSH connection with plain parameters (embedded server, CLI) and publish a package."""
    from recouvra.sftp.client import connect
    from recouvra.sftp.errors import SftpAuthError

    if params.agency is not None and params.agency != package.agency:
        raise PublicationError(f"connection is for agency {params.agency}", agency=package.agency)
    if not Path(params.key_file).is_file():
        raise SftpAuthError(f"the private key {params.key_file} does not exist", params.endpoint)
    with connect(params) as client:
        return publish_package(client, package, remote_dir)


# ------------------------------------------------------------------------------------- recording
@dataclass(frozen=True)
class RecordSummary:
    """What :func:`record_publication` wrote."""

    files_logged: int = 0
    dossiers_published: int = 0
    recalls_marked: int = 0
    notices_recorded: int = 0
    additions_sent: int = 0
    agencies: tuple[str, ...] = field(default_factory=tuple)


def _count(wh: Warehouse, sql: str, params: Sequence[Any]) -> int:
    return int(wh.query(sql, params)[0][0])


def record_publication(
    wh: Warehouse, published: Iterable[Publication | Mapping[str, Any]]
) -> RecordSummary:
    """Record uploaded files (the single warehouse writer, after every upload), in one transaction.

    Upserts ``core.publication_log`` by (agency, file name); assignment packages set their ALLOCATED
    dossiers to PUBLISHED (status_date = local date of publication); recall files set
    ``core.dossier_recall.file_name``; payments files add ``core.ledger_payment_notice`` rows.
    Re-recording the same publication changes nothing but ``published_at``.
    """
    pubs = [p if isinstance(p, Publication) else Publication.from_dict(p) for p in published]
    files = dossiers = recalls = notices = additions = 0
    with wh.transaction():
        for pub in pubs:
            pkg = pub.package
            at = dt.datetime.strptime(pub.published_at, "%Y-%m-%dT%H:%M:%SZ")
            local_day = at.replace(tzinfo=dt.UTC).astimezone(FUND_TZ).date()
            for f in pub.files:
                wh.execute(query("publication/upsert_publication_log"), [
                    pkg.agency, f.name, f.file_type, pkg.period_label, pkg.seq, f.remote_path, f.sha256,
                    f.rows, f.control_total, at,
                ])
                files += 1
            data_name = pub.files[0].name
            if pkg.kind == "ASSIGNMENT" and pkg.dossier_ids:
                ids = list(pkg.dossier_ids)
                before = _count(wh, query("publication/count_allocated_dossiers"), [pkg.agency, ids])
                wh.execute(query("publication/mark_dossiers_published"), [local_day, pkg.agency, ids])
                dossiers += before
            elif pkg.kind == "RECALL" and pkg.dossier_ids:
                ids = list(pkg.dossier_ids)
                before = _count(wh, query("publication/count_pending_recalls"), [ids])
                wh.execute(query("publication/mark_recalls_published"), [data_name, ids])
                recalls += before
            elif pkg.kind == "RECALLNOTICE" and pkg.dossier_ids:
                wh.execute(query("publication/mark_recall_notices_published"),
                           [data_name, pkg.agency, list(pkg.dossier_ids)])
            elif pkg.kind == "PAYMENTS" and pkg.notices:
                before = _count(wh, query("publication/count_payment_notices"), [pkg.agency])
                wh.execute(query("publication/insert_payment_notices"), [
                    pkg.agency, [n[0] for n in pkg.notices], [n[1] for n in pkg.notices], data_name, at,
                ])
                notices += _count(wh, query("publication/count_payment_notices"), [pkg.agency]) - before
            elif pkg.kind == "ADDED" and pkg.dossier_ids:
                day = dt.datetime.strptime(pkg.period_label, "%Y%m%d").date()
                args = [pkg.agency, day, list(pkg.dossier_ids)]
                before = _count(wh, query("publication/count_unsent_additions"), args)
                wh.execute(query("publication/mark_additions_sent"), [data_name, local_day, *args])
                additions += before
    agencies = tuple(sorted({p.package.agency for p in pubs}))
    summary = RecordSummary(files, dossiers, recalls, notices, additions_sent=additions, agencies=agencies)
    log.info("recorded publication: %s", summary)
    return summary

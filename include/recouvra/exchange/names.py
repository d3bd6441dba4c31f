"""Every file name of the exchange contract (agency-exchange/1), both ways: built and parsed here only.

* fund to agency (``outbox/``): ``CNSS_ASSIGN_<AGENCY>_<YYYYMM>_<SEQ>.csv`` with its
  ``CNSS_DETAIL_...csv`` and ``CNSS_ASSIGN_...manifest.json``; ``CNSS_RECALL_<AGENCY>_<YYYYMMDD>_<SEQ>.csv``;
  ``CNSS_PAYMENTS_<AGENCY>_<YYYYMMDD>_<SEQ>.csv`` and its manifest; ``CNSS_COMMISSION_<AGENCY>_<YYYYMM>.csv``
  and its manifest (the statement's name has no SEQ);
* agency to fund (``inbox/``): ``<AGENCY>_<TYPE>_<YYYYMMDD>_<SEQ>.csv`` and its optional ``.sha256`` sidecar;
* the fund's answer (``outbox/acks/``): ``<file stem>.ack.json`` and ``<file stem>.rejects.csv`` for
  the first file received under a stem; ``<file stem>.ack.<n>.json`` and ``<file stem>.rejects.<n>.csv``
  for the n-th (n >= 2: the same name sent again, or ``X`` after ``X.csv``), so that no acknowledgement
  ever replaces another. A numbered name never ends in ``.ack.json`` or ``.rejects.csv``: it cannot be
  the contract's name of any file, and an agency that knows only the contract's names never sees it.
  A file name may hold 255 bytes (:data:`NAME_MAX_BYTES`); when ``<stem>.rejects.<n>.csv.part`` would
  not fit, the stem is cut and marked with its digest (:func:`fit_name`), the same for both answers.

The publication stage and the fund's command line build names with these functions; the judge of
return files, the ingestion and the simulated agencies read them with the parsers, so a name one side
writes is one the other side recognises.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass
from enum import StrEnum

from recouvra.exchange.errors import FileNameError
from recouvra.exchange.spec import AGENCY_RE, RETURN_TYPES

# The folders of an agency's SFTP home (agency-exchange/1): the fund writes outbox/ and outbox/acks/ and
# moves processed files into inbox/processed/; the agency writes inbox/ only. Uploads go to a .part name
# first and are renamed when complete.
OUTBOX = "outbox"
ACKS = "outbox/acks"
INBOX = "inbox"
PROCESSED = "inbox/processed"
HOME_FOLDERS: tuple[str, ...] = (OUTBOX, ACKS, INBOX, PROCESSED)
PART_SUFFIX = ".part"
#: The longest file name, in bytes, of a POSIX file system (NAME_MAX): the agency's server, the spool.
NAME_MAX_BYTES = 255
_DIGEST_MARK_CHARS = 16

CSV_SUFFIX = ".csv"
MANIFEST_SUFFIX = ".manifest.json"
SIDECAR_SUFFIX = ".sha256"
ACK_SUFFIX = ".ack.json"
REJECTS_SUFFIX = ".rejects.csv"

RETURN_NAME_RE = re.compile(
    r"(?P<agency>[A-Z0-9]+)_(?P<type>[A-Z]+)_(?P<date>[0-9]{8})_(?P<seq>[0-9]{2})\.csv", re.ASCII
)
ASSIGN_NAME_RE = re.compile(
    r"CNSS_ASSIGN_(?P<agency>[A-Z0-9]+)_(?P<month>[0-9]{6})_(?P<seq>[0-9]{2})\.csv", re.ASCII
)
RECALL_NAME_RE = re.compile(
    r"CNSS_RECALL_(?P<agency>[A-Z0-9]+)_(?P<date>[0-9]{8})_(?P<seq>[0-9]{2})\.csv", re.ASCII
)
_OUTGOING_RE = re.compile(
    r"CNSS_(?P<kind>[A-Z]+)_(?P<agency>[A-Z0-9]+)_(?P<period>[0-9]{6}|[0-9]{8})(?:_(?P<seq>[0-9]{2}))?"
    r"(?P<suffix>\.csv|\.manifest\.json)",
    re.ASCII,
)


class Outgoing(StrEnum):
    """The kinds of file the fund writes to an agency's ``outbox/`` (the word after ``CNSS_``)."""

    ASSIGN = "ASSIGN"
    DETAIL = "DETAIL"
    RECALL = "RECALL"
    RECALLNOTICE = "RECALLNOTICE"  # addition to agency-exchange/1: a recall announced
    PAYMENTS = "PAYMENTS"
    COMMISSION = "COMMISSION"
    UPDATES = "UPDATES"
    ADDED = "ADDED"  # supplementary detail file: months added to open dossiers (an addition to v1)


#: Per kind: digits of the period label (6 a month YYYYMM, 8 a day YYYYMMDD), whether the name
#: carries a SEQ, whether a manifest of that kind exists (a detail file is listed by its assignment's).
_OUTGOING_FORM: dict[Outgoing, tuple[int, bool, bool]] = {
    Outgoing.ASSIGN: (6, True, True),
    Outgoing.DETAIL: (6, True, False),
    Outgoing.RECALL: (8, True, False),
    Outgoing.RECALLNOTICE: (8, True, False),
    Outgoing.PAYMENTS: (8, True, True),
    Outgoing.COMMISSION: (6, False, True),
    Outgoing.UPDATES: (8, True, True),
    Outgoing.ADDED: (8, True, True),
}


@dataclass(frozen=True)
class OutgoingName:
    """The parts of a well-formed name of a file the fund writes to an agency."""

    kind: Outgoing
    agency: str
    period_label: str  # YYYYMM (assignment, detail, commission) or YYYYMMDD (recall, payments)
    seq: int | None  # None for a commission statement, whose name has no SEQ
    manifest: bool


def parse_outgoing_name(name: str) -> OutgoingName | None:
    """The parts of ``name`` when it is one of the fund's outgoing file names, else None.

    Syntax only, as the contract writes it: the period label is not checked to be a real month or day.
    """
    m = _OUTGOING_RE.fullmatch(name)
    if m is None or m["kind"] not in Outgoing.__members__:
        return None
    kind = Outgoing(m["kind"])
    digits, has_seq, has_manifest = _OUTGOING_FORM[kind]
    manifest = m["suffix"] == MANIFEST_SUFFIX
    if len(m["period"]) != digits or (m["seq"] is not None) != has_seq or (manifest and not has_manifest):
        return None
    return OutgoingName(kind, m["agency"], m["period"], int(m["seq"]) if m["seq"] else None, manifest)


def agency_code(code: str) -> str:
    """``code`` when it is an agency code (upper-case letters and digits); :class:`FileNameError` if not."""
    if not AGENCY_RE.fullmatch(code or ""):
        raise FileNameError(f"agency code {code!r} is not upper-case letters and digits")
    return code


def seq_label(seq: int) -> str:
    """``SEQ`` as its two digits, ``01`` to ``99``; :class:`FileNameError` outside."""
    if not 1 <= seq <= 99:
        raise FileNameError(f"SEQ {seq} is outside 01..99")
    return f"{seq:02d}"


def month_stamp(month: dt.date) -> str:
    """``YYYYMM`` of a month, as file names write it (messages use :func:`recouvra.calendar.month_label`)."""
    return f"{month.year:04d}{month.month:02d}"


def day_stamp(day: dt.date) -> str:
    """``YYYYMMDD`` of a day."""
    return f"{day:%Y%m%d}"


# ------------------------------------------------------------------------------- fund to agency
def assignment_names(agency: str, month: dt.date, seq: int) -> tuple[str, str, str]:
    """(assignment, detail, manifest) file names of a monthly package."""
    stem = f"{agency_code(agency)}_{month_stamp(month)}_{seq_label(seq)}"
    return f"CNSS_ASSIGN_{stem}.csv", f"CNSS_DETAIL_{stem}.csv", f"CNSS_ASSIGN_{stem}{MANIFEST_SUFFIX}"


def recall_name(agency: str, on: dt.date, seq: int) -> str:
    """The recall file of day ``on``: ``CNSS_RECALL_<AGENCY>_<YYYYMMDD>_<SEQ>.csv`` (no manifest)."""
    return f"CNSS_RECALL_{agency_code(agency)}_{day_stamp(on)}_{seq_label(seq)}.csv"


def recall_notice_name(agency: str, on: dt.date, seq: int) -> str:
    """The recall notice file of day ``on``: ``CNSS_RECALLNOTICE_<AGENCY>_<YYYYMMDD>_<SEQ>.csv``."""
    return f"CNSS_RECALLNOTICE_{agency_code(agency)}_{day_stamp(on)}_{seq_label(seq)}.csv"


def payments_names(agency: str, on: dt.date, seq: int) -> tuple[str, str]:
    """(payments file, manifest) names of a weekly payments file."""
    stem = f"CNSS_PAYMENTS_{agency_code(agency)}_{day_stamp(on)}_{seq_label(seq)}"
    return f"{stem}.csv", f"{stem}{MANIFEST_SUFFIX}"


def updates_names(agency: str, on: dt.date, seq: int) -> tuple[str, str]:
    """(updates file, manifest) names: ``CNSS_UPDATES_<AGENCY>_<YYYYMMDD>_<SEQ>.csv`` and its manifest."""
    stem = f"CNSS_UPDATES_{agency_code(agency)}_{day_stamp(on)}_{seq_label(seq)}"
    return f"{stem}.csv", f"{stem}{MANIFEST_SUFFIX}"


def added_names(agency: str, on: dt.date, seq: int) -> tuple[str, str]:
    """(supplementary detail file, manifest) names of day ``on``: ``CNSS_ADDED_<AGENCY>_<YYYYMMDD>_<SEQ>``."""
    stem = f"CNSS_ADDED_{agency_code(agency)}_{day_stamp(on)}_{seq_label(seq)}"
    return f"{stem}.csv", f"{stem}{MANIFEST_SUFFIX}"


def commission_names(agency: str, month: dt.date) -> tuple[str, str]:
    """(statement file, manifest) names: ``CNSS_COMMISSION_<AGENCY>_<YYYYMM>.csv`` and its manifest."""
    stem = f"CNSS_COMMISSION_{agency_code(agency)}_{month_stamp(month)}"
    return f"{stem}.csv", f"{stem}{MANIFEST_SUFFIX}"


# ------------------------------------------------------------------------------- agency to fund
@dataclass(frozen=True)
class ReturnFileName:
    """The parts of a well-formed return-file name ``<AGENCY>_<TYPE>_<YYYYMMDD>_<SEQ>.csv``."""

    agency: str
    record_type: str
    file_date: dt.date
    seq: int


def return_name(agency: str, record_type: str, on: dt.date, seq: int) -> str:
    """A return file's name ``<AGENCY>_<TYPE>_<YYYYMMDD>_<SEQ>.csv`` (what an agency sends)."""
    if record_type not in RETURN_TYPES:
        raise FileNameError(f"file type {record_type!r} is not one of {', '.join(RETURN_TYPES)}")
    return f"{agency_code(agency)}_{record_type}_{day_stamp(on)}_{seq_label(seq)}.csv"


def parse_return_name(name: str) -> ReturnFileName:
    """The parts of ``name``; :class:`FileNameError` (a ValueError) with the reason (an F001) when it is
    not well formed.

    SEQ is two digits from ``01`` (the first file of a day); ``00`` is refused like the contract's
    other sequences, which start at ``01``. The date must be a real calendar date.
    """
    m = RETURN_NAME_RE.fullmatch(name)
    if m is None:
        raise FileNameError(
            f"file name {name!r} does not follow <AGENCY>_<TYPE>_<YYYYMMDD>_<SEQ>.csv "
            "(agency code in upper-case letters and digits, SEQ two digits)"
        )
    record_type = m["type"]
    if record_type not in RETURN_TYPES:
        raise FileNameError(
            f"file type {record_type!r} in the name is not one of {', '.join(RETURN_TYPES)}"
        )
    try:
        file_date = dt.datetime.strptime(m["date"], "%Y%m%d").date()
    except ValueError:
        raise FileNameError(f"date {m['date']!r} in the file name is not a real date (YYYYMMDD)") from None
    seq = int(m["seq"])
    if seq == 0:
        raise FileNameError("SEQ 00 in the file name: sequences start at 01")
    return ReturnFileName(m["agency"], record_type, file_date, seq)


def sidecar_name(file_name: str) -> str:
    """The optional digest sidecar of a return file: ``<same name>.sha256``."""
    return file_name + SIDECAR_SUFFIX


# ------------------------------------------------------------------------------ the fund's answer
def file_stem(file_name: str) -> str:
    """``file_name`` without ``.csv``: the stem of its acknowledgement files."""
    return file_name.removesuffix(CSV_SUFFIX)


def fit_name(head: str, tail: str = "", *, room: int = 0) -> str:
    """``head + tail`` when it fits in a file name with ``room`` bytes to spare (for a suffix added
    later: ``.part``, a sidecar's ``.sha256``); else ``head`` cut on a character boundary, then ``~`` and
    the first 16 hex digits of the sha256 of the whole ``head``, then ``tail``: two heads that differ
    anywhere keep different names."""
    budget = NAME_MAX_BYTES - room
    if len((head + tail).encode("utf-8", "surrogateescape")) <= budget:
        return head + tail
    mark = "~" + hashlib.sha256(head.encode("utf-8", "surrogateescape")).hexdigest()[:_DIGEST_MARK_CHARS]
    keep = max(0, budget - len(tail.encode("utf-8", "surrogateescape")) - len(mark))
    return head.encode("utf-8", "surrogateescape")[:keep].decode("utf-8", "ignore") + mark + tail


def _answer_stem(file_name: str, number: int) -> str:
    """The stem the answers of ``file_name`` (the ``number``-th of its stem) are named after: its stem,
    cut (:func:`fit_name`) when its rejects file, the longer answer, would not fit with ``.part``."""
    stem = file_stem(file_name)
    widest = _numbered(REJECTS_SUFFIX, number)
    return fit_name(stem, widest, room=len(PART_SUFFIX)).removesuffix(widest)


def ack_name(file_name: str, number: int = 1) -> str:
    """The acknowledgement of a received file: ``<file stem>.ack.json`` for the first file received
    under its stem (the contract's name), ``<file stem>.ack.<number>.json`` for the ``number``-th. A
    stem too long for ``<stem>.rejects.<n>.csv.part`` to be a file name is cut and marked (the
    module's doc)."""
    return _answer_stem(file_name, number) + _numbered(ACK_SUFFIX, number)


def rejects_name(file_name: str, number: int = 1) -> str:
    """The rejected rows of a received file: ``<file stem>.rejects.csv``, or
    ``<file stem>.rejects.<number>.csv`` for the ``number``-th file of its stem (as :func:`ack_name`)."""
    return _answer_stem(file_name, number) + _numbered(REJECTS_SUFFIX, number)


def stem_names(stem: str) -> tuple[str, ...]:
    """Every file name whose stem is ``stem``: ``<stem>.csv``, and ``<stem>`` itself unless it ends in
    ``.csv`` (``X.csv`` has the stem ``X``). The files of one stem share the numbering of their acks."""
    return (stem + CSV_SUFFIX,) if stem.endswith(CSV_SUFFIX) else (stem + CSV_SUFFIX, stem)


def _numbered(suffix: str, number: int) -> str:
    """``.ack.json`` or ``.rejects.csv`` (number 1), else the number before the last dot: ``.ack.2.json``."""
    if number < 1:
        raise ValueError(f"acknowledgement number {number} is not 1 or more")
    if number == 1:
        return suffix
    head, _, tail = suffix.rpartition(".")
    return f"{head}.{number}.{tail}"

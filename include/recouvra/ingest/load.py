"""Step B of the ingestion, the single warehouse writer: judge a spooled return file and load it.

:func:`ingest_file` does, in ONE transaction per file: judge the file with the shared judge
(:func:`~recouvra.returns.judge.judge_file`) against the warehouse's dossiers
(:func:`context_from_warehouse`) and memory
(:class:`~recouvra.returns.warehouse_history.WarehouseReturnHistory`);
register it in ``core.return_file`` with its counts; load the accepted records into the
``core.agency_*`` table of its type (amounts as DECIMAL(18,2)); quarantine every rejected record
verbatim in ``core.return_reject``; apply contact updates and closures to the debtor master
(:mod:`recouvra.ingest.master`); and write the acknowledgement files into the local spool. A crash
before the commit leaves nothing in the warehouse; the local ack files it may have left are
rewritten by the next attempt.

``received_at`` is when the fund fetched the file (step A, the fund's clock): never a time the agency
sets, such as the upload's modification time, which an SFTP client may carry over from the agency's
disk (``put -p``).

Re-running the same processing replays it. A registry row stays open from the load until step D
records that the fund was done with the file in ``inbox/`` (``delivered_at``: acknowledgement
delivered, file moved). A file fetched while a row of the same agency, name and sha256 is open is
that same upload, fetched again after a crash before its acknowledgement went out or before the file
was moved: nothing is loaded again and the acknowledgement is regenerated from the registry, byte for
byte the same, ``received_at`` included. So is a copy whose fetch began before the fund was done with
such a row (``fetched_at``, step A's wall clock, not after ``delivered_at``): two runs at once both
fetched the upload, and the second ingests its copy after the first delivered it. The same bytes sent
again once the fund was done with the first are a new upload, judged afresh, hence DUPLICATE, with
their own acknowledgement. (Rows from before V020 have no ``delivered_at``; they are matched as they
were, by the upload's modification time.)

A file larger than the contract's 50 MiB is never read: :func:`ingest_unread` registers and
acknowledges it from its name and size (F005, or F001/F007 before it), with
:data:`~recouvra.exchange.spec.UNREAD_SHA256` for a digest; step A does not even download it. It is
numbered, replayed and closed like any other file: its own acknowledgement (``<stem>.ack.<n>.json``
when it is the n-th file of its stem), replayed while its row is open.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections.abc import Iterable, Mapping
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from recouvra.errors import RecouvraError
from recouvra.exchange.ack import Ack, FileError, Reject, render_rejects
from recouvra.exchange.csvparse import decode_utf8, iter_rows
from recouvra.exchange.names import ack_name, file_stem, parse_return_name, rejects_name, stem_names
from recouvra.exchange.spec import MAX_FILE_BYTES, UNREAD_SHA256, ObjectionRules, Status, format_timestamp
from recouvra.ingest.master import apply_closures, apply_contact_updates, current_debtor, normalized_value
from recouvra.returns.ack import write_complete
from recouvra.returns.context import Dossier, ExchangeContext, Notice
from recouvra.returns.judge import Judgement, judge_file, judge_unread
from recouvra.returns.records import (
    ActionRecord,
    ClosureRecord,
    ContactRecord,
    ObjectionRecord,
    PaymentRecord,
    PlanRecord,
    ReturnRecord,
)
from recouvra.returns.warehouse_history import WarehouseReturnHistory
from recouvra.sqlfiles import query

if TYPE_CHECKING:
    from collections.abc import Collection

    import pyarrow as pa

    from recouvra.returns.history import Judged
    from recouvra.warehouse import Warehouse

log = logging.getLogger(__name__)

ACKS_FOLDER = "acks"


class IngestError(RecouvraError):
    """A return file could not be ingested (left in ``inbox/`` for the next run); names file and agency."""

    def __init__(self, message: str, *, agency: str, file: str) -> None:
        super().__init__(f"{agency} {file}: {message}")
        self.agency = agency
        self.file = file


# --- the context: what the fund told the agencies -----------------------------------------------

def context_from_warehouse(wh: Warehouse, rules: ObjectionRules | None = None) -> ExchangeContext:
    """Every dossier the fund published (of every agency, for E002), with its window, ``total_due``
    as assigned, its recall date and its pending recall notice; dossiers still ALLOCATED were never
    told to an agency (E001). ``rules``: the fund's rules on objections (configuration ``recalls``)."""
    rows = wh.query(query("ingest/select_published_dossiers"))
    notices = {str(r[0]): Notice(r[1], r[2], Decimal(r[3]), r[4], None if r[5] is None else str(r[5]))
               for r in wh.query(query("ingest/select_recall_notices"))}
    return ExchangeContext({
        r[0]: Dossier(r[0], r[1], r[2], r[3], Decimal(r[4]), r[5], notices.get(str(r[0]))) for r in rows
    }, rules if rules is not None else ObjectionRules())


def with_current_notices(wh: Warehouse, context: ExchangeContext) -> ExchangeContext:
    """``context`` with the notices as the warehouse holds them now: an objection accepted by an earlier
    file of the same run counts for the next one (the recall date moves once)."""
    return context_from_warehouse(wh, context.rules)


# --- time -----------------------------------------------------------------------------------------

def utc_naive(moment: dt.datetime) -> dt.datetime:
    """``moment`` as naive UTC (how the warehouse stores times: naive = UTC)."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.UTC).replace(tzinfo=None)
    return moment


def utc_seconds(moment: dt.datetime) -> dt.datetime:
    """``moment`` as naive UTC to the second."""
    return utc_naive(moment).replace(microsecond=0)


# --- the registry and the acknowledgement rendered from it ----------------------------------------

_REGISTRY_COLUMNS = (
    "return_file_id, agency_code, file_name, file_type, sha256, size_bytes, received_at, status, "
    "rows_received, rows_accepted, rows_rejected, rows_duplicate, file_error_code, file_error_detail, "
    "warnings, ack_file_name, ack_number"
)


def _pack_warnings(warnings: Iterable[str]) -> str | None:
    """Warnings one per line (``\\``, CR and LF inside a warning escaped, so that they read back exactly)."""
    lines = [w.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r") for w in warnings]
    return "\n".join(lines) if lines else None


def _unpack_warnings(text: str | None) -> list[str]:
    if not text:
        return []
    out = []
    for line in text.split("\n"):
        chars: list[str] = []
        i = 0
        while i < len(line):
            if line[i] == "\\" and i + 1 < len(line):
                chars.append({"n": "\n", "r": "\r"}.get(line[i + 1], line[i + 1]))
                i += 2
            else:
                chars.append(line[i])
                i += 1
        out.append("".join(chars))
    return out


def _registry_row(rows: list[tuple[Any, ...]]) -> dict[str, Any] | None:
    if not rows:
        return None
    names = [c.strip() for c in _REGISTRY_COLUMNS.split(",")]
    return dict(zip(names, rows[0], strict=True))


def _open_upload(wh: Warehouse, agency: str, file_name: str, sha256: str,
                 upload_mtime: int | None, fetched_at: dt.datetime | None = None) -> dict[str, Any] | None:
    """The registry row of this upload when the fund was not yet done with it in ``inbox/`` as this
    copy's fetch began (``fetched_at``; None: not done with it now; see the module doc);
    ``upload_mtime`` (the remote modification time) only identifies rows from before V020."""
    legacy = utc_seconds(dt.datetime.fromtimestamp(upload_mtime, dt.UTC)) if upload_mtime else None
    fetched = utc_naive(fetched_at) if fetched_at is not None else None
    return _registry_row(wh.query(query("ingest/select_registered_file", columns=_REGISTRY_COLUMNS),
                                  [agency, file_name, sha256, fetched, legacy]))


class _ReplayHistory:
    """The judge's memory as it stood for a file rejected whole: only the name's first sha256 (F007).

    A file rejected whole was judged on its bytes, name, sidecar and that one fact; judging it again
    with them gives the same file error and the same list of records, which the registry cannot hold
    (``core.return_reject`` keeps row-level rejects only).
    """

    def __init__(self, first_sha256: str | None) -> None:
        self.first_sha256 = first_sha256

    def file_seen(self, agency: str, sha256: str) -> bool:
        return False

    def sha256_for_name(self, agency: str, file_name: str) -> str | None:
        return self.first_sha256

    def fingerprints(self, agency: str, record_type: str, keys: Collection[str]) -> Mapping[str, str]:
        return {}

    def remember(self, judgement: Judged) -> None:
        """Nothing to remember: a replay changes nothing."""


def _rejects(wh: Warehouse, row: dict[str, Any], path: Path | None) -> list[Reject]:
    """The rejects of a registered file: from the quarantine, or, for a file rejected whole, the
    records of the file judged again (checked to give the registered file error); a file never read
    (larger than the limit) is judged again from its registered name and size."""
    agency, name = row["agency_code"], row["file_name"]
    if row["file_error_code"] is None:
        return [
            Reject(int(line_no), record_id or "", code, detail)
            for line_no, record_id, code, detail in wh.query(
                query("ingest/select_file_rejects"), [row["return_file_id"]]
            )
        ]
    earlier = wh.query(
        query("ingest/select_earlier_sha256_for_name"), [agency, name, row["return_file_id"]]
    )
    history = _ReplayHistory(str(earlier[0][0]) if earlier else None)
    if row["sha256"] == UNREAD_SHA256:
        again = judge_unread(name, int(row["size_bytes"]), agency, history, received_at=row["received_at"])
    elif path is None:
        raise IngestError("the file is needed to list the records of a file rejected whole",
                          agency=agency, file=name)
    else:
        again = judge_file(path, agency, ExchangeContext(), history, on=dt.date.today(),
                           received_at=row["received_at"])
    error = again.file_errors[0] if again.file_errors else None
    if error is None or (error.code, error.detail) != (row["file_error_code"], row["file_error_detail"]):
        raise IngestError(
            f"the file judged again gives {error and error.code or again.status.value}, the registry "
            f"says {row['file_error_code']}: its sidecar or its spool copy changed; not acknowledged",
            agency=agency, file=name,
        )
    return list(again.rejects)


def stored_acknowledgement(wh: Warehouse, row: Mapping[str, Any], path: Path | None) -> tuple[Ack, str]:
    """The acknowledgement (``ack.json``) and ``rejects.csv`` text of a registered file.

    Both are rendered from the registry with the contract's own format (:mod:`recouvra.exchange.ack`),
    so that the first processing and any replay write the same bytes. ``path``: the spooled file,
    needed for a file rejected whole (None for a file never read).
    """
    error_code = row["file_error_code"]
    ack = Ack(
        file=row["file_name"],
        sha256=row["sha256"],
        received_at=format_timestamp(row["received_at"]),
        status=Status(row["status"]),
        rows_received=int(row["rows_received"]),
        rows_accepted=int(row["rows_accepted"]),
        rows_rejected=int(row["rows_rejected"]),
        rows_duplicate=int(row["rows_duplicate"]),
        file_errors=(FileError(error_code, row["file_error_detail"]),) if error_code else (),
        warnings=tuple(_unpack_warnings(row["warnings"])),
    )
    rejects = _rejects(wh, dict(row), path)
    if len(rejects) != ack.rows_rejected:
        raise IngestError(f"{len(rejects)} rejects found for {ack.rows_rejected} registered",
                          agency=row["agency_code"], file=row["file_name"])
    return ack, render_rejects(rejects)


def write_ack_files(
    file_name: str, ack: Ack, rejects_csv: str, acks_dir: Path, number: int = 1
) -> tuple[Path, Path | None]:
    """Write the rejects file (when any) then the acknowledgement of the received ``file_name``, the
    ``number``-th file of its stem, into ``acks_dir``: ``<stem>.rejects.csv`` and ``<stem>.ack.json``, or
    ``<stem>.rejects.<number>.csv`` and ``<stem>.ack.<number>.json``
    (:func:`recouvra.exchange.names.ack_name`). Same format as ``recouvra.returns.write_acknowledgement``."""
    acks_dir.mkdir(parents=True, exist_ok=True)
    rejects_path = acks_dir / rejects_name(file_name, number)
    if rejects_csv:
        write_complete(rejects_path, rejects_csv)
    else:
        rejects_path.unlink(missing_ok=True)  # left in this spool by an attempt rolled back
    ack_path = acks_dir / ack_name(file_name, number)
    write_complete(ack_path, ack.render())
    return ack_path, rejects_path if rejects_csv else None


def ack_number(wh: Warehouse, agency: str, file_name: str) -> int:
    """Which file of its stem ``file_name`` is for ``agency``, counting the files registered before it
    (:func:`recouvra.exchange.names.stem_names`): 1 when none, so the first keeps the contract's
    acknowledgement name and every later one gets its own numbered name."""
    names = stem_names(file_stem(file_name))
    rows = wh.query(query("ingest/count_files_of_stem", marks=", ".join("?" for _ in names)),
                    [agency, *names])
    return int(rows[0][0]) + 1


# --- loading a judged file --------------------------------------------------------------------------

def _register(wh: Warehouse, j: Judgement, size: int, now: dt.datetime) -> int:
    number = ack_number(wh, j.agency, j.file_name)
    try:
        name = parse_return_name(j.file_name)
        file_date, seq = name.file_date, name.seq
    except ValueError:
        file_date, seq = None, None
    error = j.file_errors[0] if j.file_errors else None
    return int(wh.query(
        query("ingest/insert_return_file"),
        [j.agency, j.file_name, j.record_type, file_date, seq, j.sha256, size, utc_naive(j.received_at),
         now, j.status.value, j.rows_received, len(j.accepted), len(j.rejects), len(j.duplicates),
         error.code if error else None, error.detail if error else None, _pack_warnings(j.warnings),
         ack_name(j.file_name, number), number],
    )[0][0])


def _physical_records(text: str) -> dict[int, tuple[str, tuple[str, ...]]]:
    """Each row of the text by its first line: (the record's physical lines verbatim, its cells).

    A record spans from its line to the line before the next row (every physical line belongs to
    exactly one row); the line end that closes it (``\\n`` or ``\\r\\n``) is not part of it.
    """
    rows = list(iter_rows(text))
    lines = text.split("\n")
    out: dict[int, tuple[str, tuple[str, ...]]] = {}
    for i, row in enumerate(rows):
        stop = rows[i + 1].line_no - 1 if i + 1 < len(rows) else len(lines)
        raw = "\n".join(lines[row.line_no - 1 : stop])
        if i + 1 == len(rows) and text.endswith("\n"):
            raw = raw.removesuffix("\n")  # the empty piece after the last line end
        out[row.line_no] = (raw.removesuffix("\r"), row.cells)
    return out


def _column(values: list[Any], kind: str) -> pa.Array:
    import pyarrow as pa

    types = {"str": pa.string(), "date": pa.date32(), "money": pa.decimal128(18, 2), "int": pa.int64(),
             "ts": pa.timestamp("us")}
    return pa.array(values, type=types[kind])


def _load(wh: Warehouse, table: str, columns: dict[str, tuple[str, list[Any]]]) -> None:
    import pyarrow as pa

    data = pa.table({name: _column(values, kind) for name, (kind, values) in columns.items()})
    if data.num_rows:
        wh.load_arrow(table, data)


def _common(records: list[ReturnRecord], agency: str, file_id: int) -> dict[str, tuple[str, list[Any]]]:
    return {
        "agency_code": ("str", [agency] * len(records)),
        "dossier_id": ("str", [r.dossier_id for r in records]),
        "return_file_id": ("int", [file_id] * len(records)),
        "line_no": ("int", [r.line_no for r in records]),
    }


def _extended_to(context: ExchangeContext, record: ObjectionRecord) -> dt.date:
    """The recall date an accepted objection sets (the judge accepted it against this notice)."""
    dossier = context.get(record.dossier_id)
    assert dossier is not None and dossier.notice is not None
    return context.rules.extended_to(dossier.notice.intended_recall_date, record.evidence_date)


def _load_accepted(
    wh: Warehouse, j: Judgement, file_id: int, physical: dict[int, tuple[str, tuple[str, ...]]],
    context: ExchangeContext,
) -> None:
    """Accepted records into the ``core.agency_*`` table of the file's type (bulk, one load)."""
    records = list(j.accepted)
    if not records:
        return
    base = _common(records, j.agency, file_id)
    if j.record_type == "ACTIONS":
        acts = [r for r in records if isinstance(r, ActionRecord)]
        _load(wh, "core.agency_action", {**base,
            "action_id": ("str", [r.action_id for r in acts]),
            "action_date": ("date", [r.action_date for r in acts]),
            "action_type": ("str", [r.action_type for r in acts]),
            "outcome": ("str", [r.outcome for r in acts]),
            "promise_amount": ("money", [r.promise_amount for r in acts]),
            "promise_date": ("date", [r.promise_date for r in acts]),
            "comment": ("str", [r.comment for r in acts])})
    elif j.record_type == "PAYMENTS":
        pays = [r for r in records if isinstance(r, PaymentRecord)]
        _load(wh, "core.agency_payment", {**base,
            "payment_id": ("str", [r.payment_id for r in pays]),
            "payment_date": ("date", [r.payment_date for r in pays]),
            "amount": ("money", [r.amount for r in pays]),
            "channel": ("str", [r.channel for r in pays]),
            "receipt_ref": ("str", [r.receipt_ref for r in pays])})
    elif j.record_type == "PLANS":
        plans = [r for r in records if isinstance(r, PlanRecord)]
        _load(wh, "core.agency_plan", {**base,
            "plan_id": ("str", [r.plan_id for r in plans]),
            "status": ("str", [r.status for r in plans]),
            "request_date": ("date", [r.request_date for r in plans]),
            "installments": ("int", [r.installments for r in plans]),
            "first_due_date": ("date", [r.first_due_date for r in plans]),
            "total_amount": ("money", [r.total_amount for r in plans])})
    elif j.record_type == "CLOSURES":
        closures = [r for r in records if isinstance(r, ClosureRecord)]
        _load(wh, "core.agency_closure", {**base,
            "closure_id": ("str", [r.closure_id for r in closures]),
            "closure_date": ("date", [r.closure_date for r in closures]),
            "reason": ("str", [r.reason for r in closures]),
            "comment": ("str", [r.comment for r in closures])})
    elif j.record_type == "OBJECTIONS":
        objections = [r for r in records if isinstance(r, ObjectionRecord)]
        _load(wh, "core.agency_objection", {**base,
            "objection_id": ("str", [r.objection_id for r in objections]),
            "objection_date": ("date", [r.objection_date for r in objections]),
            "evidence_type": ("str", [r.evidence_type for r in objections]),
            "evidence_ref": ("str", [r.evidence_ref for r in objections]),
            "evidence_amount": ("money", [r.evidence_amount for r in objections]),
            "evidence_date": ("date", [r.evidence_date for r in objections]),
            "comment": ("str", [r.comment for r in objections]),
            "extended_to": ("date", [_extended_to(context, r) for r in objections])})
    elif j.record_type == "CONTACTS":
        contacts = [r for r in records if isinstance(r, ContactRecord)]
        header = physical[min(physical)][1]
        value_at = header.index("value")
        debtors = {d: current_debtor(wh, int(i)) for d, i in wh.query(
            query("ingest/select_dossier_debtors",
                  marks=", ".join("?" for _ in {r.dossier_id for r in contacts})),
            sorted({r.dossier_id for r in contacts}),
        )}
        _load(wh, "core.agency_contact_update", {**base,
            "update_id": ("str", [r.update_id for r in contacts]),
            "debtor_id": ("int", [debtors[r.dossier_id] for r in contacts]),
            "field": ("str", [r.field for r in contacts]),
            # as sent: the cell of the file (the record holds a PHONE in E.164 already)
            "value": ("str", [physical[r.line_no][1][value_at] for r in contacts]),
            "value_normalised": ("str", [normalized_value(r.field, r.value) for r in contacts]),
            "observed_date": ("date", [r.observed_date for r in contacts]),
            "evidence": ("str", [r.evidence for r in contacts]),
            "apply_status": ("str", ["PENDING"] * len(contacts))})
    else:  # pragma: no cover - the judge accepts records only of the five types
        raise ValueError(f"no table for records of type {j.record_type}")


def _quarantine(
    wh: Warehouse, j: Judgement, file_id: int, physical: dict[int, tuple[str, tuple[str, ...]]]
) -> None:
    """Rejected rows verbatim into ``core.return_reject`` (row-level codes; a file rejected whole
    loaded nothing and its records are listed in its rejects file only)."""
    if j.file_errors or not j.rejects:
        return
    _load(wh, "core.return_reject", {
        "return_file_id": ("int", [file_id] * len(j.rejects)),
        "line_no": ("int", [r.line_no for r in j.rejects]),
        "record_id": ("str", [r.record_id or None for r in j.rejects]),
        "reason_code": ("str", [r.reason_code for r in j.rejects]),
        "detail": ("str", [r.detail for r in j.rejects]),
        "raw_line": ("str", [physical[r.line_no][0] for r in j.rejects]),
    })


def ingest_file(
    wh: Warehouse,
    path: Path,
    agency: str,
    on: dt.date,
    received_at: dt.datetime,
    *,
    upload_mtime: int | None = None,
    context: ExchangeContext | None = None,
    acks_dir: Path | None = None,
    now: dt.datetime | None = None,
    fetched_at: dt.datetime | None = None,
) -> dict[str, Any]:
    """Judge, load and acknowledge one spooled return file in one transaction (see the module doc).

    ``received_at`` is when the fund fetched the file; a file whose upload is still open in the
    registry (same agency, name and sha256, not yet delivered; or delivered only after ``fetched_at``,
    when step A began the fetch of this copy, by the wall clock) is replayed with its first
    ``received_at``. ``upload_mtime``, the remote modification time step A saw, only finds rows
    registered before V020. The acknowledgement files are written to
    ``acks_dir`` (default: ``<path's folder>/acks``). Returns a JSON-ready summary: file name, status,
    counts, ``return_file_id``, ``replayed``, ``ack_path`` and ``rejects_path`` (None without rejects).
    Raises :class:`IngestError` or a warehouse error, in which case nothing was committed.
    """
    path = Path(path)
    acks_dir = acks_dir if acks_dir is not None else path.parent / ACKS_FOLDER
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        return ingest_unread(wh, path.name, size, agency, received_at, upload_mtime=upload_mtime,
                             acks_dir=acks_dir, now=now, fetched_at=fetched_at)
    data = path.read_bytes()
    sha256 = hashlib.sha256(data).hexdigest()
    received = utc_naive(received_at)  # as read, to the microsecond: acknowledgements show the second
    processed_at = utc_seconds(now or dt.datetime.now(dt.UTC))
    with wh.transaction():
        row = _open_upload(wh, agency, path.name, sha256, upload_mtime, fetched_at)
        replayed = row is not None
        if row is None:
            if context is None:
                context = context_from_warehouse(wh)
            elif path.name.split("_")[1:2] == ["OBJECTIONS"]:
                context = with_current_notices(wh, context)
            judgement = judge_file(
                path, agency, context,
                WarehouseReturnHistory(wh), on, received.replace(tzinfo=dt.UTC),
            )
            file_id = _register(wh, judgement, len(data), processed_at)
            if judgement.accepted or (judgement.rejects and not judgement.file_errors):
                physical = _physical_records(decode_utf8(data))
                _load_accepted(wh, judgement, file_id, physical, context)
                _quarantine(wh, judgement, file_id, physical)
            if judgement.record_type == "CONTACTS" and judgement.accepted:
                apply_contact_updates(wh, file_id, processed_at)
            if judgement.record_type == "CLOSURES" and judgement.accepted:
                apply_closures(wh, file_id, processed_at)
            row = _registry_row(wh.query(query("ingest/select_return_file", columns=_REGISTRY_COLUMNS),
                                         [file_id]))
            assert row is not None
            ack, rejects_csv = stored_acknowledgement(wh, row, path)
            if ack != judgement.acknowledgement() or rejects_csv != judgement.rejects_csv():
                raise IngestError("the acknowledgement rendered from the registry differs from the judge's",
                                  agency=agency, file=path.name)
        else:
            log.info("%s %s: already loaded (return_file_id %s): acknowledgement replayed",
                     agency, path.name, row["return_file_id"])
            ack, rejects_csv = stored_acknowledgement(wh, row, path)
        ack_path, rejects_path = write_ack_files(path.name, ack, rejects_csv, acks_dir,
                                                 int(row["ack_number"] or 1))
    return _summary(agency, row, ack, replayed, ack_path, rejects_path)


def _summary(agency: str, row: Mapping[str, Any], ack: Ack, replayed: bool, ack_path: Path,
             rejects_path: Path | None) -> dict[str, Any]:
    """What :func:`ingest_file` and :func:`ingest_unread` return (JSON-ready)."""
    return {
        "agency": agency,
        "file_name": str(row["file_name"]),
        "sha256": str(row["sha256"]),
        "return_file_id": int(row["return_file_id"]),
        "status": ack.status.value,
        "rows_received": ack.rows_received,
        "rows_accepted": ack.rows_accepted,
        "rows_rejected": ack.rows_rejected,
        "rows_duplicate": ack.rows_duplicate,
        "replayed": replayed,
        "ack_path": str(ack_path),
        "rejects_path": str(rejects_path) if rejects_path else None,
    }


def ingest_unread(
    wh: Warehouse,
    file_name: str,
    size: int,
    agency: str,
    received_at: dt.datetime,
    *,
    upload_mtime: int | None = None,
    acks_dir: Path,
    now: dt.datetime | None = None,
    fetched_at: dt.datetime | None = None,
) -> dict[str, Any]:
    """Register and acknowledge a return file larger than the contract's limit without its bytes.

    The file was not downloaded (step A saw its size in ``inbox/``): it is judged from its name and
    size alone (:func:`~recouvra.returns.judge.judge_unread`: F001, F007 or F005, nothing counted,
    sha256 :data:`~recouvra.exchange.spec.UNREAD_SHA256`), registered in ``core.return_file`` and its
    acknowledgement written to ``acks_dir``, in one transaction, under its own name like any file's
    (``<stem>.ack.<n>.json`` for the n-th file of its stem). ``received_at`` is when the fund listed
    the file and left it there (the fund's clock). While a row of this agency, name and that sha256 is
    open (not yet delivered, or delivered after ``fetched_at``: see the module doc) the file is that
    upload again and its acknowledgement is replayed; ``upload_mtime`` only finds rows registered
    before V020. Returns what
    :func:`ingest_file` returns.
    """
    received = utc_naive(received_at)  # as read, to the microsecond: acknowledgements show the second
    processed_at = utc_seconds(now or dt.datetime.now(dt.UTC))
    with wh.transaction():
        row = _open_upload(wh, agency, file_name, UNREAD_SHA256, upload_mtime, fetched_at)
        replayed = row is not None
        if row is None:
            judgement = judge_unread(file_name, size, agency, WarehouseReturnHistory(wh),
                                     received_at=received.replace(tzinfo=dt.UTC))
            file_id = _register(wh, judgement, size, processed_at)
            row = _registry_row(wh.query(query("ingest/select_return_file", columns=_REGISTRY_COLUMNS),
                                         [file_id]))
            assert row is not None
        log.warning("%s %s: %s bytes, above the contract's limit: acknowledged %s without being read",
                    agency, file_name, f"{size:,}", row["file_error_code"])
        ack, rejects_csv = stored_acknowledgement(wh, row, None)
        ack_path, rejects_path = write_ack_files(file_name, ack, rejects_csv, acks_dir,
                                                 int(row["ack_number"] or 1))
    return _summary(agency, row, ack, replayed, ack_path, rejects_path)


def ingest_fetched(
    wh: Warehouse, fetched: Iterable[Mapping[str, Any] | Iterable[Mapping[str, Any]]], on: dt.date,
    *, now: dt.datetime | None = None, rules: ObjectionRules | None = None,
    agencies: Collection[str] | None = None,
) -> list[dict[str, Any]]:
    """Step B over what step A fetched for every agency: one transaction per file, one file's
    failure recorded in its result (``error``) and never stopping the others.

    ``fetched`` holds the items of :func:`recouvra.ingest.fetch_inbox` (a list per agency, as mapped
    tasks return them, or one flat list). Files are taken per agency in the order the fund fetched
    them (``received_at``, then name: name order within a run). Returns one group per agency,
    ``{"agency": ..., "items": [...]}``, each item the fetched item updated with :func:`ingest_file`'s
    summary or with ``error``: ready to be mapped again for :func:`recouvra.ingest.deliver_acks`.
    ``agencies``: the configured agencies (:func:`open_deliveries` leaves the others' open rows).
    """
    items: list[dict[str, Any]] = []
    for entry in fetched:
        if isinstance(entry, Mapping):
            items.append(dict(entry))
        else:
            items.extend(dict(e) for e in entry)
    items.sort(key=lambda i: (i["agency"], i["received_at"], i["file_name"]))
    groups: dict[str, list[dict[str, Any]]] = {}
    context = context_from_warehouse(wh, rules) if items else ExchangeContext()
    for item in items:
        agency = item["agency"]
        try:
            received_at = dt.datetime.fromisoformat(item["received_at"])
            fetched_at = dt.datetime.fromisoformat(item["fetched_at"]) if item.get("fetched_at") else None
            if item.get("local_path") is None:  # too large: step A did not download it
                outcome = ingest_unread(wh, item["file_name"], int(item["size"]), agency, received_at,
                                        upload_mtime=item.get("mtime"),
                                        acks_dir=Path(item["spool_dir"]) / ACKS_FOLDER, now=now,
                                        fetched_at=fetched_at)
            else:
                # the acknowledgements beside the downloads, never among them (a file may be named acks)
                acks = Path(item["spool_dir"]) / ACKS_FOLDER if item.get("spool_dir") else None
                outcome = ingest_file(wh, Path(item["local_path"]), agency, on, received_at,
                                      upload_mtime=item.get("mtime"), context=context, acks_dir=acks,
                                      now=now, fetched_at=fetched_at)
            item.update(outcome, error=None)
        except Exception as exc:  # one file's failure is reported, the others go on
            log.exception("%s %s: not ingested, left in inbox/ for the next run", agency, item["file_name"])
            item.update(status="ERROR", error=f"{type(exc).__name__}: {exc}")
        groups.setdefault(agency, []).append(item)
    try:
        pending = open_deliveries(wh, {i.get("return_file_id") for i in items}, agencies=agencies)
    except RecouvraError as exc:  # the warehouse lost (a file's failure above says so): the next run
        log.warning("open deliveries not looked up, left to the next run: %s", exc)
        pending = []
    for item in pending:
        groups.setdefault(item["agency"], []).append(item)
    return [{"agency": agency, "items": group} for agency, group in groups.items()]


def open_deliveries(wh: Warehouse, taken: Iterable[Any] = (),
                    agencies: Collection[str] | None = None) -> list[dict[str, Any]]:
    """Registered files whose delivery was never recorded, but those of ``taken`` (this run's own):
    one item each for :func:`recouvra.ingest.deliver_acks`, marked ``open_delivery``. With
    ``agencies`` (the configured ones), an agency's open row when it is no longer among them is left
    open and logged: there is no account to deliver to (a delivery task for it failed every hour), and
    the row is taken up again if the agency comes back.

    A run killed after its acknowledgement step moved a file to ``inbox/processed/`` and before the
    recording step ran leaves the file's row open, and no later fetch finds the file again. The next
    run's delivery step then finds the acknowledgement on the account and reports it, so that the
    recording step logs it and closes the row; a file still in ``inbox/`` is left to the fetch, which
    replays its acknowledgement. Nothing is loaded or acknowledged again."""
    out: list[dict[str, Any]] = []
    taken = set(taken)
    for rid, agency, name, ack_file, number, status, rejected in wh.query(
            query("ingest/select_open_deliveries")):
        if rid in taken:
            continue
        if agencies is not None and agency not in agencies:
            log.warning("%s %s: its acknowledgement's delivery was never recorded, and the agency is no "
                        "longer configured: left open", agency, name)
            continue
        out.append({"agency": agency, "file_name": name, "open_delivery": True, "return_file_id": int(rid),
                    "status": status, "error": None, "ack_file_name": ack_file,
                    "rejects_file_name": rejects_name(name, int(number)) if rejected else None,
                    "rows_rejected": int(rejected)})
    return out

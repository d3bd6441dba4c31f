"""Acknowledgements (agency-exchange/1, "Fund's answer"): the typed :class:`Ack` and the rejects file,
their exact text and their parsing.

For every file received the fund writes ``outbox/acks/<file stem>.ack.json`` and, when any row was
rejected, ``<file stem>.rejects.csv`` (names: :mod:`recouvra.exchange.names`). The judge of return
files and the ingestion render them from here (first processing and replay alike, so the bytes are
the same); an agency (the simulated ones) reads them back with :meth:`Ack.parse` and
:func:`parse_rejects`. Writing them to disk or to an account is the caller's business.

``ack.json``: a UTF-8 JSON object indented by two spaces, ending with a line feed, keys in the
contract's order (``spec``, ``file``, ``sha256``, ``received_at``, ``status``, ``rows_received``,
``rows_accepted``, ``rows_rejected``, ``rows_duplicate``, ``file_errors``, ``warnings``), always with
``rows_received = rows_accepted + rows_rejected + rows_duplicate``.

``rejects.csv``: header ``line_no;record_id;reason_code;detail``, ``\\n`` line ends; the record id (the
agency's own, as received) and the detail (the fund's free text, quoting the agency's values) with the
spreadsheet-formula guard, and quoted where RFC 4180 needs it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeGuard

from recouvra.exchange.csvparse import decode_utf8, formula_guard, parse_rows, quote_cell, unguard
from recouvra.exchange.errors import AckError, CsvSyntaxError
from recouvra.exchange.spec import SPEC, TIMESTAMP_RE, Status

if TYPE_CHECKING:
    from collections.abc import Iterable

REJECTS_COLUMNS: tuple[str, ...] = ("line_no", "record_id", "reason_code", "detail")
ACK_KEYS: tuple[str, ...] = (
    "spec", "file", "sha256", "received_at", "status", "rows_received", "rows_accepted", "rows_rejected",
    "rows_duplicate", "file_errors", "warnings",
)
_COUNTS = ("rows_received", "rows_accepted", "rows_rejected", "rows_duplicate")


@dataclass(frozen=True)
class FileError:
    """A file-level error of the acknowledgement: ``{"code": "F003", "detail": "..."}``."""

    code: str
    detail: str

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "detail": self.detail}


@dataclass(frozen=True)
class Reject:
    """One line of ``rejects.csv``: where the record starts, its id, why it was rejected.

    When the whole file is rejected, each record it holds is listed with the file-level code, so
    that ``rows_rejected`` always equals the number of rejects.
    """

    line_no: int
    record_id: str
    reason_code: str
    detail: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "line_no": self.line_no,
            "record_id": self.record_id,
            "reason_code": self.reason_code,
            "detail": self.detail,
        }


@dataclass(frozen=True)
class Ack:
    """The acknowledgement of one received file, field for field as ``<stem>.ack.json``."""

    file: str
    sha256: str
    received_at: str  # UTC, YYYY-MM-DDTHH:MM:SSZ
    status: Status
    rows_received: int
    rows_accepted: int
    rows_rejected: int
    rows_duplicate: int
    file_errors: tuple[FileError, ...] = ()
    warnings: tuple[str, ...] = ()
    spec: str = SPEC

    def as_dict(self) -> dict[str, Any]:
        """The JSON object, key for key in the contract's order."""
        return {
            "spec": self.spec,
            "file": self.file,
            "sha256": self.sha256,
            "received_at": self.received_at,
            "status": self.status.value,
            "rows_received": self.rows_received,
            "rows_accepted": self.rows_accepted,
            "rows_rejected": self.rows_rejected,
            "rows_duplicate": self.rows_duplicate,
            "file_errors": [e.as_dict() for e in self.file_errors],
            "warnings": list(self.warnings),
        }

    def render(self) -> str:
        """The exact text of ``ack.json`` (UTF-8 on the wire): indented by two spaces, ending with "\\n"."""
        return render_ack(self.as_dict())

    @classmethod
    def parse(cls, data: bytes | str, *, name: str = "<ack>") -> Ack:
        """The acknowledgement in ``data``; :class:`AckError` naming the first thing not the contract's."""
        try:
            doc = json.loads(decode_utf8(data) if isinstance(data, bytes) else data)
        except (UnicodeDecodeError, ValueError) as exc:
            raise AckError(f"not UTF-8 JSON: {exc}", file=name) from None
        if not isinstance(doc, dict):
            raise AckError("not a JSON object", file=name)

        def fail(key: str, why: str) -> AckError:
            return AckError(f"{key} {doc.get(key)!r} {why}", file=name)

        if doc.get("spec") != SPEC:
            raise fail("spec", f"is not {SPEC!r}")
        for key in ("file", "sha256"):
            if not isinstance(doc.get(key), str) or not doc[key]:
                raise fail(key, "is not a non-empty string")
        if not isinstance(doc.get("received_at"), str) or TIMESTAMP_RE.fullmatch(doc["received_at"]) is None:
            raise fail("received_at", "is not a UTC time YYYY-MM-DDTHH:MM:SSZ")
        if doc.get("status") not in Status.__members__:
            raise fail("status", f"is not one of {', '.join(Status)}")
        counts: list[int] = []
        for key in _COUNTS:
            value = doc.get(key)
            if not _is_count(value):
                raise fail(key, "is not a row count")
            counts.append(value)
        received, accepted, rejected, duplicate = counts
        if received != accepted + rejected + duplicate:
            raise fail("rows_received", "is not rows_accepted + rows_rejected + rows_duplicate")
        errors = doc.get("file_errors")
        if not isinstance(errors, list) or not all(
            isinstance(e, dict) and isinstance(e.get("code"), str) and isinstance(e.get("detail"), str)
            for e in errors
        ):
            raise fail("file_errors", 'is not a list of {"code": ..., "detail": ...}')
        warnings = doc.get("warnings")
        if not isinstance(warnings, list) or not all(isinstance(w, str) for w in warnings):
            raise fail("warnings", "is not a list of sentences")
        return cls(
            file=doc["file"], sha256=doc["sha256"], received_at=doc["received_at"],
            status=Status(doc["status"]), rows_received=received, rows_accepted=accepted,
            rows_rejected=rejected, rows_duplicate=duplicate,
            file_errors=tuple(FileError(e["code"], e["detail"]) for e in errors), warnings=tuple(warnings),
        )


def render_ack(doc: dict[str, Any]) -> str:
    """An acknowledgement object as ``ack.json`` text (what :meth:`Ack.render` writes)."""
    return json.dumps(doc, ensure_ascii=False, indent=2) + "\n"


def render_rejects(rejects: Iterable[Reject]) -> str:
    """``rejects.csv`` text (``line_no;record_id;reason_code;detail``), or "" when there is no reject.

    Both text cells get the spreadsheet-formula guard: the detail is the fund's free text, and the
    record id, though an id, is whatever the agency typed (the contract gives it no format), so an id
    ``=HYPERLINK(...)`` of a rejected row would otherwise run in whoever opens the file, the agency's
    staff or the fund's. :func:`parse_rejects` takes the guard off again.
    """
    lines = [";".join(REJECTS_COLUMNS)]
    for r in rejects:
        lines.append(";".join((
            str(r.line_no), quote_cell(formula_guard(r.record_id)), r.reason_code,
            quote_cell(formula_guard(r.detail)),
        )))
    return "\n".join(lines) + "\n" if len(lines) > 1 else ""


def parse_rejects(data: bytes | str, *, name: str = "<rejects>") -> tuple[Reject, ...]:
    """The rejects in ``rejects.csv`` text (id and detail without their formula guard); :class:`AckError`."""
    try:
        text = decode_utf8(data) if isinstance(data, bytes) else data
        rows = [r for r in parse_rows(text, file=name) if not r.blank]
    except UnicodeDecodeError as exc:
        raise AckError(f"not valid UTF-8: {exc.reason}", file=name) from None
    except CsvSyntaxError as exc:
        raise AckError(exc.detail, file=name, line=exc.line) from None
    if not rows or rows[0].cells != REJECTS_COLUMNS:
        raise AckError(f"header is not {';'.join(REJECTS_COLUMNS)}", file=name, line=1)
    out = []
    for row in rows[1:]:
        if len(row.cells) != len(REJECTS_COLUMNS):
            raise AckError(f"{len(row.cells)} cells, not {len(REJECTS_COLUMNS)}", file=name, line=row.line_no)
        line_no, record_id, code, detail = row.cells
        if not line_no.isascii() or not line_no.isdigit():
            raise AckError(f"line_no {line_no!r} is not a line number", file=name, line=row.line_no,
                           field="line_no")
        out.append(Reject(int(line_no), unguard(record_id), code, unguard(detail)))
    return tuple(out)


def _is_count(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0

"""Package manifests (agency-exchange/1, "Assignment package"): the typed :class:`Manifest`, its exact
bytes, its parsing and the check of the files it lists.

The fund renders a manifest for each assignment package, payments file and commission statement and
writes it last: a package is complete when its manifest exists. Before an upload the SFTP client
checks the files it lists (:func:`check_listed` on :func:`read_file_list`); an agency (the simulated
ones) reads it back with :meth:`Manifest.parse` and keeps a package only when
:meth:`Manifest.check_files` passes.

Layout: a UTF-8 JSON object, indented by two spaces, ending with a line feed, keys in this order:
``spec``, ``agency``, ``month`` (``YYYY-MM``; a payments manifest has ``date``, ``YYYY-MM-DD``),
``seq``, ``generated_at`` (UTC, ``YYYY-MM-DDTHH:MM:SSZ``), ``files`` (each ``name``, ``sha256``,
``rows``, ``control_total``: the sum of the file's amounts with two decimals, negative only for
payments). A reader ignores keys it does not know (the contract may be added to, never broken).
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeGuard

from recouvra.exchange.errors import ManifestError
from recouvra.exchange.spec import AGENCY_RE, SPEC, TIMESTAMP_RE, parse_iso_date

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping
    from pathlib import Path

_MONTH_RE = re.compile(r"[0-9]{4}-(0[1-9]|1[0-2])", re.ASCII)
_SHA256_RE = re.compile(r"[0-9a-fA-F]{64}", re.ASCII)
_TOTAL_RE = re.compile(r"-?[0-9]+\.[0-9]{2}", re.ASCII)
_CHUNK = 1 << 20


@dataclass(frozen=True)
class ManifestEntry:
    """One data file as a manifest lists it."""

    name: str
    sha256: str
    rows: int
    control_total: str

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "sha256": self.sha256, "rows": self.rows,
                "control_total": self.control_total}


@dataclass(frozen=True)
class Manifest:
    """A package manifest: exactly one of ``month`` (``YYYY-MM``) and ``date`` (``YYYY-MM-DD``) is set."""

    agency: str
    seq: int
    generated_at: str
    files: tuple[ManifestEntry, ...]
    month: str | None = None
    date: str | None = None
    spec: str = SPEC

    def __post_init__(self) -> None:
        if (self.month is None) == (self.date is None):
            raise ValueError("a manifest names either a month or a date, not both nor neither")

    def as_dict(self) -> dict[str, Any]:
        """The JSON object, key for key in the contract's order."""
        period = {"month": self.month} if self.month is not None else {"date": self.date}
        return {"spec": self.spec, "agency": self.agency, **period, "seq": self.seq,
                "generated_at": self.generated_at, "files": [f.as_dict() for f in self.files]}

    def render(self) -> bytes:
        """The manifest's exact bytes: UTF-8 JSON, indented by two spaces, ending with a line feed."""
        return (json.dumps(self.as_dict(), ensure_ascii=False, indent=2) + "\n").encode("utf-8")

    @classmethod
    def parse(cls, data: bytes, *, name: str = "<manifest>") -> Manifest:
        """The manifest in ``data``; :class:`ManifestError` naming the first thing not the contract's."""
        try:
            doc = json.loads(data.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise ManifestError(f"not UTF-8 JSON: {exc}", file=name) from None
        if not isinstance(doc, dict):
            raise ManifestError("not a JSON object", file=name)

        def fail(key: str, why: str) -> ManifestError:
            return ManifestError(f"{key} {doc.get(key)!r} {why}", file=name)

        if doc.get("spec") != SPEC:
            raise fail("spec", f"is not {SPEC!r}")
        agency = doc.get("agency")
        if not isinstance(agency, str) or AGENCY_RE.fullmatch(agency) is None:
            raise fail("agency", "is not an agency code")
        month, date = doc.get("month"), doc.get("date")
        if (month is None) == (date is None):
            raise ManifestError("a manifest names either a month or a date", file=name)
        if month is not None and (not isinstance(month, str) or _MONTH_RE.fullmatch(month) is None):
            raise fail("month", "is not YYYY-MM")
        if date is not None and (not isinstance(date, str) or parse_iso_date(date) is None):
            raise fail("date", "is not a date YYYY-MM-DD")
        seq = doc.get("seq")
        if not _is_int(seq) or not 1 <= seq <= 99:
            raise fail("seq", "is not a whole number from 1 to 99")
        generated_at = doc.get("generated_at")
        if not isinstance(generated_at, str) or TIMESTAMP_RE.fullmatch(generated_at) is None:
            raise fail("generated_at", "is not a UTC time YYYY-MM-DDTHH:MM:SSZ")
        listed = doc.get("files")
        if not isinstance(listed, list) or not listed:
            raise ManifestError("has no 'files' list", file=name)
        files = tuple(_entry(e, i, name) for i, e in enumerate(listed))
        names = [f.name for f in files]
        if len(set(names)) != len(names):
            raise ManifestError(f"lists a file twice: {sorted(names)}", file=name)
        return cls(agency, seq, generated_at, files, month=month, date=date)

    def check_files(
        self, paths: Iterable[Path], *, name: str = "<manifest>", exactly: bool = False
    ) -> tuple[Path, ...]:
        """The listed files, in the manifest's order, each found among ``paths`` (by file name) with the
        manifest's sha256; :class:`ManifestError` at the first missing or different one. ``exactly``:
        ``paths`` must be the listed files, no more and no fewer (what the fund uploads as one package).
        """
        return check_listed(((f.name, f.sha256) for f in self.files), paths, name=name, exactly=exactly)


def check_listed(
    listed: Iterable[tuple[str, str]], paths: Iterable[Path], *, name: str = "<manifest>",
    exactly: bool = False,
) -> tuple[Path, ...]:
    """The check behind :meth:`Manifest.check_files`, on (file name, sha256) pairs as listed."""
    pairs = list(listed)
    given = {p.name: p for p in paths}
    if exactly and set(given) != {n for n, _ in pairs}:
        raise ManifestError(
            f"lists {sorted(n for n, _ in pairs)} but the package holds {sorted(given)}", file=name
        )
    found = []
    for file_name, sha256 in pairs:
        path = given.get(file_name)
        if path is None or not path.is_file():
            raise ManifestError(f"{file_name} is missing", file=name)
        digest = file_sha256(path)
        if digest != sha256.lower():
            raise ManifestError(f"sha256 of {file_name} is {digest}, manifest says {sha256}", file=name)
        found.append(path)
    return tuple(found)


def read_file_list(path: Path) -> tuple[tuple[str, str], ...]:
    """Only the (name, sha256) pairs listed in the manifest at ``path``, whatever else it holds or lacks:
    what a transport needs to check that a package is the one its manifest describes (the SFTP
    client before an upload). :class:`ManifestError` when it is not JSON or has no ``files`` list."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ManifestError(f"is not readable JSON: {exc}", file=path.name) from exc
    listed = doc.get("files") if isinstance(doc, dict) else None
    if not isinstance(listed, list):
        raise ManifestError("has no 'files' list", file=path.name)
    return tuple((str(e.get("name")), str(e.get("sha256", ""))) for e in listed if isinstance(e, dict))


def read_manifest(path: Path) -> Manifest:
    """The manifest stored at ``path`` (:meth:`Manifest.parse`); :class:`ManifestError` when unreadable."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ManifestError(f"cannot be read: {exc.strerror or exc}", file=path.name) from exc
    return Manifest.parse(data, name=path.name)


def file_sha256(path: Path) -> str:
    """The sha256 (lower-case hex) of the file at ``path``, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _is_int(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _entry(raw: object, index: int, name: str) -> ManifestEntry:
    where = f"files[{index}]"
    if not isinstance(raw, dict):
        raise ManifestError(f"{where} is not an object", file=name)
    entry: Mapping[str, Any] = raw
    file_name, sha256, rows, total = (entry.get(k) for k in ("name", "sha256", "rows", "control_total"))
    if not isinstance(file_name, str) or not file_name or "/" in file_name or "\\" in file_name:
        raise ManifestError(f"{where}.name {file_name!r} is not a file name", file=name)
    if not isinstance(sha256, str) or _SHA256_RE.fullmatch(sha256) is None:
        raise ManifestError(f"{where}.sha256 {sha256!r} is not a sha256 hex digest", file=name)
    if not _is_int(rows) or rows < 0:
        raise ManifestError(f"{where}.rows {rows!r} is not a row count", file=name)
    if not isinstance(total, str) or _TOTAL_RE.fullmatch(total) is None:
        raise ManifestError(
            f"{where}.control_total {total!r} is not an amount with two decimals", file=name
        )
    return ManifestEntry(file_name, sha256, rows, total)

"""What the fund received before: the memory behind DUPLICATE, F007, duplicates and E011.

:class:`ReturnHistory` is the interface the judge reads; :class:`InMemoryReturnHistory` is the
embedded implementation (the command line starts it empty; tests feed it with earlier judgements);
the ingestion DAG will back the same interface with the warehouse.

What is remembered, and why:

- a file's sha256 per agency, for files judged on their rows (ACCEPTED, PARTIAL, or REJECTED because
  every row was): re-sending those bytes, under any name, is DUPLICATE. A file rejected whole
  (a file-level error) loaded nothing, so its bytes are not remembered: once the name or the sidecar
  is put right, the same content is judged afresh instead of being answered DUPLICATE for ever;
- a file name's sha256 (first delivery wins) for every judged file with a well-formed name: that
  name sent again with other bytes is F007 (a correction goes under a new SEQ);
- the content fingerprint of each *accepted* record, by (agency, type, key): rejected records were
  never received, so their corrections are new records, not E011.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    from collections.abc import Collection, Mapping, Sequence


class _Coded(Protocol):
    @property
    def code(self) -> str: ...


class _Received(Protocol):
    @property
    def record_type(self) -> str: ...
    @property
    def key(self) -> str: ...
    @property
    def fingerprint(self) -> str: ...


class Judged(Protocol):
    """What a history remembers of a judged file (:class:`recouvra.returns.judge.Judgement` is one):
    the judge reads the history, so the history names only what it needs of a judgement."""

    @property
    def agency(self) -> str: ...
    @property
    def file_name(self) -> str: ...
    @property
    def sha256(self) -> str: ...
    @property
    def file_errors(self) -> Sequence[_Coded]: ...
    @property
    def accepted(self) -> Sequence[_Received]: ...


@runtime_checkable
class ReturnHistory(Protocol):
    """Read (and record) what earlier return files brought."""

    def file_seen(self, agency: str, sha256: str) -> bool:
        """Whether a file with this sha256 was already processed for ``agency``."""
        ...

    def sha256_for_name(self, agency: str, file_name: str) -> str | None:
        """The sha256 of the file first received under ``file_name``, or None."""
        ...

    def fingerprints(self, agency: str, record_type: str, keys: Collection[str]) -> Mapping[str, str]:
        """Content fingerprint of each of ``keys`` received before (absent keys are left out)."""
        ...

    def remember(self, judgement: Judged) -> None:
        """Record a judgement, once its acknowledgement is written (see the module docstring)."""
        ...


class InMemoryReturnHistory:
    """A :class:`ReturnHistory` held in dictionaries: for the command line and the tests."""

    def __init__(self) -> None:
        self._files: set[tuple[str, str]] = set()
        self._names: dict[tuple[str, str], str] = {}
        self._records: dict[tuple[str, str, str], str] = {}

    def file_seen(self, agency: str, sha256: str) -> bool:
        return (agency, sha256.lower()) in self._files

    def sha256_for_name(self, agency: str, file_name: str) -> str | None:
        return self._names.get((agency, file_name))

    def fingerprints(self, agency: str, record_type: str, keys: Collection[str]) -> Mapping[str, str]:
        found: dict[str, str] = {}
        for key in keys:
            fp = self._records.get((agency, record_type, key))
            if fp is not None:
                found[key] = fp
        return found

    def remember(self, judgement: Judged) -> None:
        agency = judgement.agency
        codes = {e.code for e in judgement.file_errors}
        if "F001" not in codes:
            self._names.setdefault((agency, judgement.file_name), judgement.sha256)
        if judgement.file_errors:
            return
        self._files.add((agency, judgement.sha256.lower()))
        for record in judgement.accepted:
            self._records.setdefault((agency, record.record_type, record.key), record.fingerprint)

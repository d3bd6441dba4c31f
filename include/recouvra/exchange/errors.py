"""Typed errors of the agency exchange: each names the file, the line, the field and the code.

They live here rather than in :mod:`recouvra.errors` because this package owns the exchange codes;
both subclass :class:`recouvra.errors.RecouvraError`, so the command line reports them the same way.
"""

from __future__ import annotations

from recouvra.errors import RecouvraError


class ExchangeFileError(RecouvraError):
    """A file of the exchange cannot be used; carries where (file, line, field) and why (code, detail)."""

    def __init__(
        self,
        detail: str,
        *,
        file: str,
        code: str | None = None,
        line: int | None = None,
        field: str | None = None,
    ) -> None:
        self.detail = detail
        self.file = file
        self.code = code
        self.line = line
        self.field = field
        where = file + (f", line {line}" if line is not None else "")
        where += f", column {field}" if field is not None else ""
        super().__init__(f"{where}: {(code + ' ') if code else ''}{detail}")


class ReturnFileError(ExchangeFileError):
    """A return file sent by an agency is rejected whole; ``code`` is its F-code (F001 … F008)."""


class CsvSyntaxError(ExchangeFileError):
    """Text that is not RFC 4180 CSV (unterminated quote, NUL byte, bare carriage return, stray quote)."""


class ExchangeContextError(ExchangeFileError):
    """An assignment or recall file (the fund's own side of the exchange) cannot be read."""


class FileNameError(RecouvraError, ValueError):
    """A name that is not one of the contract's file names (or parts that cannot make one)."""


class ManifestError(ExchangeFileError):
    """A package manifest that does not follow the contract, or does not match the files it lists."""


class AckError(ExchangeFileError):
    """An acknowledgement (``ack.json``) or rejects file that does not follow the contract."""

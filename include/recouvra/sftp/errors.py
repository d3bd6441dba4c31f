"""Typed SFTP errors: each names the agency, the host and the remote path a person has to look at."""

from __future__ import annotations

from dataclasses import dataclass

from recouvra.errors import RecouvraError


@dataclass(frozen=True)
class Endpoint:
    """Who we talk to: printed in every error so an operator knows which account and host failed."""

    agency: str
    host: str
    port: int
    username: str

    def __str__(self) -> str:
        return f"agency {self.agency} ({self.username}@{self.host}:{self.port})"


class SftpError(RecouvraError):
    """Base of the SFTP errors; ``endpoint`` and ``path`` say where it happened."""

    def __init__(self, message: str, endpoint: Endpoint | None = None, path: str | None = None) -> None:
        self.endpoint = endpoint
        self.path = path
        where = []
        if endpoint is not None:
            where.append(str(endpoint))
        if path is not None:
            where.append(f"path {path}")
        super().__init__(f"{message} [{', '.join(where)}]" if where else message)


class SftpHostKeyError(SftpError):
    """The server did not present the pinned host key: refused (possible impersonation or a rotated key)."""


class SftpAuthError(SftpError):
    """The server refused our key for this account."""


class SftpConnectionError(SftpError):
    """The server could not be reached or the SSH session could not be set up."""


class SftpTransferError(SftpError):
    """An operation on a remote file failed (listing, download, move, remove)."""


class SftpUploadError(SftpTransferError):
    """An upload failed; nothing was left under the final name (a ``.part`` may remain, see message)."""


class SftpVerificationError(SftpUploadError):
    """What the server holds differs from what we sent (size or sha256): the upload was undone."""


class SftpPackageError(SftpError):
    """A package is inconsistent before upload (its manifest does not match its files)."""


class SftpServerError(RecouvraError):
    """The embedded server cannot start, stop or be found (state files under ``sftp_root``)."""

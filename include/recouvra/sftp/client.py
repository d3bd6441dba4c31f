"""The fund's side of file transfer: atomic, verified uploads and the agency-folder primitives.

:class:`SftpClient` is the interface the exchange stages use; :class:`ParamikoSftpClient` implements
it over one open paramiko SFTP session, so a whole group of operations costs one SSH connection
(about 0.1 s each). Obtain one with :func:`connect` (plain parameters, host key pinned: an unknown
or different host key is refused) or, inside Airflow, with :func:`recouvra.airflow_adapter.sftp.sftp_client`.

Upload protocol (agency-exchange v1: "written under a temporary name ending in .part and renamed"):
write ``<path>.part``, fsync when the server offers it, read it back and compare size and sha256
with the local file, then ``posix-rename`` it over the final name. The final name therefore only
ever holds complete, verified content; on any failure the ``.part`` is removed (through a fresh
connection when the first one died) and a typed error names the agency, host and path.
"""

from __future__ import annotations

import base64
import hashlib
import io
import logging
import os
import posixpath
import socket
import stat
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Protocol

import paramiko

from recouvra.exchange.errors import ManifestError
from recouvra.exchange.manifest import check_listed, read_file_list
from recouvra.exchange.names import OUTBOX, PART_SUFFIX, fit_name
from recouvra.sftp.errors import (
    Endpoint,
    SftpAuthError,
    SftpConnectionError,
    SftpError,
    SftpHostKeyError,
    SftpPackageError,
    SftpTransferError,
    SftpUploadError,
    SftpVerificationError,
)

log = logging.getLogger(__name__)

CHUNK = 32_768  # paramiko's SFTP write size: larger writes are split anyway
_DRAIN_EVERY = 64  # pipelined writes in flight (2 MiB) before we collect their acknowledgements
_IO_ERRORS = (OSError, EOFError, paramiko.SSHException, socket.timeout)


#: Seconds a session waits for the server's next packet before the operation fails (a stalled server).
IO_TIMEOUT = 60.0


@dataclass(frozen=True)
class SftpParams:
    """How to reach one agency's account. ``host_key`` is ``"ssh-ed25519 AAAA..."``: the only key accepted."""

    host: str
    port: int
    username: str
    key_file: Path
    host_key: str
    agency: str | None = None
    timeout: float = 10.0
    #: Seconds to wait for the server's next packet once connected (:data:`IO_TIMEOUT`).
    io_timeout: float = IO_TIMEOUT

    @property
    def endpoint(self) -> Endpoint:
        return Endpoint(self.agency or self.username, self.host, self.port, self.username)


@dataclass(frozen=True)
class RemoteFile:
    """A complete file found in a remote folder."""

    name: str
    path: str
    size: int
    mtime: int


@dataclass(frozen=True)
class Transferred:
    """A file that reached its destination whole: where, how big, and its sha256 (hex)."""

    path: str
    size: int
    sha256: str


@dataclass(frozen=True)
class PublishedPackage:
    files: list[Transferred]
    manifest: Transferred


class SftpClient(Protocol):
    """What the exchange stages need from an agency's SFTP account (one open session)."""

    def upload_atomic(self, local_path: Path, remote_path: str) -> Transferred: ...

    def write_text_atomic(self, remote_path: str, text: str) -> Transferred: ...

    def publish_package(
        self, files: Sequence[Path], manifest: Path, remote_dir: str = OUTBOX
    ) -> PublishedPackage: ...

    def list_ready(self, remote_dir: str) -> list[RemoteFile]: ...

    def download(self, remote_path: str, local_path: Path) -> Transferred: ...

    def move(self, remote_src: str, remote_dst: str, replace: bool = False) -> None: ...

    def remove(self, remote_path: str) -> None: ...


def sha256_file(path: Path) -> tuple[int, str]:
    """Size and sha256 hex digest of a local file, read in chunks."""
    h = hashlib.sha256()
    size = 0
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            h.update(chunk)
            size += len(chunk)
    return size, h.hexdigest()


def parse_host_key(line: str) -> paramiko.PKey:
    """A pinned host key ``"<type> <base64> [comment]"`` as a paramiko key."""
    parts = line.strip().split()
    if len(parts) < 2:
        raise ValueError(f"host key must be '<type> <base64>', got {line[:40]!r}")
    try:
        return paramiko.PKey.from_type_string(parts[0], base64.b64decode(parts[1].encode("ascii")))
    except (ValueError, paramiko.SSHException, paramiko.pkey.UnknownKeyType) as exc:
        # UnknownKeyType (a type paramiko does not know, e.g. a misspelt "ssh-ed25591") is neither.
        raise ValueError(f"host key {parts[0]} {parts[1][:12]}... cannot be read: {exc}") from exc


def classify_connect_error(exc: BaseException, endpoint: Endpoint) -> SftpError:
    """The typed error for a failed SSH connection (host key, authentication, network)."""
    if isinstance(exc, paramiko.BadHostKeyException):
        return SftpHostKeyError(
            "the server presented a host key different from the pinned one (impersonation, or the "
            "server key was rotated: update host_key only after checking its fingerprint)", endpoint,
        )
    if isinstance(exc, paramiko.SSHException) and "known_hosts" in str(exc):
        return SftpHostKeyError(
            f"the server's host key is not the pinned one; refused ({exc})", endpoint
        )
    if isinstance(exc, paramiko.AuthenticationException):
        return SftpAuthError(f"the server refused our key ({exc})", endpoint)
    return SftpConnectionError(f"cannot open an SFTP session: {type(exc).__name__}: {exc}", endpoint)


@contextmanager
def connect(params: SftpParams) -> Iterator[ParamikoSftpClient]:
    """One SSH connection to an agency's account for a group of operations; host key pinned."""
    endpoint = params.endpoint
    ssh = _open_ssh(params)
    try:
        try:
            sftp = ssh.open_sftp()
        except _IO_ERRORS as exc:
            raise classify_connect_error(exc, endpoint) from exc
        try:
            yield ParamikoSftpClient(sftp, endpoint, reconnect=lambda: _raw_session(params),
                                     io_timeout=params.io_timeout)
        finally:
            sftp.close()
    finally:
        ssh.close()


def _open_ssh(params: SftpParams) -> paramiko.SSHClient:
    ssh = paramiko.SSHClient()
    ssh.set_missing_host_key_policy(paramiko.RejectPolicy())
    key = parse_host_key(params.host_key)
    name = params.host if params.port == 22 else f"[{params.host}]:{params.port}"
    ssh.get_host_keys().add(name, key.get_name(), key)
    try:
        ssh.connect(
            params.host, port=params.port, username=params.username, key_filename=str(params.key_file),
            look_for_keys=False, allow_agent=False, timeout=params.timeout,
            banner_timeout=params.timeout, auth_timeout=params.timeout,
        )
    except _IO_ERRORS as exc:
        ssh.close()
        raise classify_connect_error(exc, params.endpoint) from exc
    return ssh


@contextmanager
def _raw_session(params: SftpParams) -> Iterator[paramiko.SFTPClient]:
    ssh = _open_ssh(params)
    try:
        with ssh.open_sftp() as sftp:
            yield sftp
    finally:
        ssh.close()


Reconnect = Callable[[], AbstractContextManager[paramiko.SFTPClient]]


class ParamikoSftpClient:
    """:class:`SftpClient` over an open paramiko SFTP session (which the caller closes).

    ``reconnect`` opens a fresh session; it is used only to remove a ``.part`` when the session
    died mid-upload.

    ``io_timeout``: seconds the session waits for the server's next packet (the channel's timeout)
    before a transfer or listing fails with :class:`SftpTransferError`. Without it a server that stops
    answering half way through a file (alive, connected, silent) would hold the task until Airflow's
    execution timeout, and paramiko's prefetch reader can wait on such a server for ever
    (paramiko/paramiko#577).
    """

    def __init__(
        self, sftp: paramiko.SFTPClient, endpoint: Endpoint, reconnect: Reconnect | None = None,
        *, io_timeout: float = IO_TIMEOUT,
    ) -> None:
        sftp.get_channel().settimeout(io_timeout)
        self._sftp = sftp
        self.endpoint = endpoint
        self._reconnect = reconnect
        self._raw_paths: dict[str, bytes] = {}  # readable path -> the bytes of a name not UTF-8

    # ------------------------------------------------------------------------------- uploads
    def upload_atomic(self, local_path: Path, remote_path: str) -> Transferred:
        """Upload a local file under ``remote_path`` atomically and verified (see module doc)."""
        local_path = Path(local_path)
        size, digest = sha256_file(local_path)
        return self._put_atomic(lambda: local_path.open("rb"), size, digest, remote_path)

    def write_text_atomic(self, remote_path: str, text: str) -> Transferred:
        """Write UTF-8 text (an ack, a rejects file) under ``remote_path``, atomically and verified."""
        data = text.encode("utf-8")
        return self._put_atomic(lambda: io.BytesIO(data), len(data), hashlib.sha256(data).hexdigest(),
                                remote_path)

    def publish_package(
        self, files: Sequence[Path], manifest: Path, remote_dir: str = OUTBOX
    ) -> PublishedPackage:
        """Upload a package's data files, then its manifest LAST (a package is complete when it exists).

        The manifest's ``files`` entries (name, sha256) are checked against the local files before
        anything is sent. A manifest already on the server is removed first, so that while the data
        files are being replaced no reader sees a manifest that does not match them.
        """
        files = [Path(f) for f in files]
        _check_manifest(files, Path(manifest), self.endpoint)
        remote_manifest = posixpath.join(remote_dir, Path(manifest).name)
        if self._exists(remote_manifest):
            self.remove(remote_manifest)
        sent = [self.upload_atomic(f, posixpath.join(remote_dir, f.name)) for f in files]
        return PublishedPackage(sent, self.upload_atomic(Path(manifest), remote_manifest))

    def _put_atomic(
        self, open_source: Callable[[], IO[bytes]], size: int, digest: str, remote_path: str
    ) -> Transferred:
        part = remote_path + PART_SUFFIX
        try:
            with self._sftp.open(part, "wb") as fh:
                fh.set_pipelined(True)
                with open_source() as src:
                    sent = 0
                    while chunk := src.read(CHUNK):
                        fh.write(chunk)
                        sent += 1
                        if sent % _DRAIN_EVERY == 0:
                            _drain_writes(self._sftp, fh)
                fh.flush()
                _drain_writes(self._sftp, fh)
                self._fsync(fh)
            self._verify(part, size, digest, remote_path)
            self._sftp.posix_rename(part, remote_path)
            final = self._sftp.stat(remote_path).st_size
        except SftpError:
            self._discard(part)
            raise
        except _IO_ERRORS as exc:
            left = self._discard(part)
            raise SftpUploadError(
                f"upload failed ({_describe(exc)}); nothing written under the final name{left}",
                self.endpoint, remote_path,
            ) from exc
        if final != size:  # renamed but not what we sent: never let it stand under its final name
            self._discard(remote_path)
            raise SftpVerificationError(
                f"after rename the server holds {final} bytes, we sent {size}; removed", self.endpoint,
                remote_path,
            )
        log.info("uploaded %s (%d bytes, sha256 %s) for %s", remote_path, size, digest[:12], self.endpoint)
        return Transferred(remote_path, size, digest)

    def _fsync(self, fh: paramiko.SFTPFile) -> None:
        """Ask the server to flush the file to disk (OpenSSH ``fsync@openssh.com``) when it can."""
        try:
            # paramiko has no public fsync: send the OpenSSH extension on the file's handle.
            self._sftp._request(paramiko.sftp.CMD_EXTENDED, "fsync@openssh.com", fh.handle)
        except OSError as exc:
            if "unsupported" not in str(exc).lower():
                raise
            log.debug("server does not support fsync@openssh.com: %s", exc)

    def _verify(self, part: str, size: int, digest: str, remote_path: str) -> None:
        remote_size = self._sftp.stat(part).st_size
        if remote_size != size:
            raise SftpVerificationError(
                f"size mismatch after upload: server holds {remote_size} bytes, we sent {size}",
                self.endpoint, remote_path,
            )
        h = hashlib.sha256()
        with self._sftp.open(part, "rb") as fh:
            fh.prefetch(size)
            while chunk := fh.read(1 << 20):
                h.update(chunk)
        if h.hexdigest() != digest:
            raise SftpVerificationError(
                f"sha256 mismatch after upload: server {h.hexdigest()}, local {digest}",
                self.endpoint, remote_path,
            )

    def _discard(self, path: str) -> str:
        """Remove a leftover; return '' when done or nothing was there, else a note for the error."""
        try:
            self._sftp.remove(path)
            return ""
        except FileNotFoundError:
            return ""
        except _IO_ERRORS as first:
            if self._reconnect is None:
                return f"; could not remove {path} ({_describe(first)}): readers ignore .part files"
        try:
            with self._reconnect() as fresh:
                fresh.remove(path)
            return ""
        except FileNotFoundError:
            return ""
        except (*_IO_ERRORS, SftpError) as exc:
            return f"; could not remove {path} ({_describe(exc)}): readers ignore .part files"

    # ------------------------------------------------------------------------ agency folders
    def list_ready(self, remote_dir: str) -> list[RemoteFile]:
        """Complete regular files of a folder, by name: ``*.part``, folders and links are skipped.

        A name is bytes on the wire. One that is not UTF-8 (an agency's client may send any bytes) is
        read with its undecodable bytes written ``\\xNN`` (:func:`readable_name`), and this client
        keeps the bytes behind that path for its later calls (download, move, ...); such a name that
        reads as another file's of the folder is left out, with a warning, until that file is gone.
        """
        try:
            try:
                entries = self._sftp.listdir_attr(remote_dir)
            except UnicodeDecodeError:  # paramiko decodes names as UTF-8 and gives up on the folder
                entries = self._listdir_bytes(remote_dir)
        except _IO_ERRORS as exc:
            raise SftpTransferError(f"cannot list folder ({_describe(exc)})", self.endpoint,
                                    remote_dir) from exc
        ready = [
            RemoteFile(e.filename, posixpath.join(remote_dir, e.filename), int(e.st_size or 0),
                       int(e.st_mtime or 0))
            for e in entries
            if e.st_mode is not None and stat.S_ISREG(e.st_mode) and not e.filename.endswith(PART_SUFFIX)
        ]
        return sorted(ready, key=lambda f: f.name)

    def _listdir_bytes(self, remote_dir: str) -> list[paramiko.SFTPAttributes]:
        """``listdir_attr`` reading each name as bytes (paramiko's private request API, pinned
        paramiko, as :meth:`_fsync`); names that are not UTF-8 are given as :func:`readable_name`."""
        kind, msg = self._sftp._request(paramiko.sftp.CMD_OPENDIR, remote_dir)
        if kind != paramiko.sftp.CMD_HANDLE:
            raise paramiko.SFTPError("Expected handle")
        handle = msg.get_binary()
        named: list[tuple[bytes, paramiko.SFTPAttributes]] = []
        try:
            while True:
                try:
                    kind, msg = self._sftp._request(paramiko.sftp.CMD_READDIR, handle)
                except EOFError:
                    break
                if kind != paramiko.sftp.CMD_NAME:
                    raise paramiko.SFTPError("Expected name response")
                for _ in range(msg.get_int()):
                    raw = msg.get_string()
                    msg.get_string()  # the long name, unused
                    attrs = paramiko.SFTPAttributes._from_msg(msg)  # read for every entry: they follow
                    if raw not in (b".", b".."):
                        named.append((raw, attrs))
        finally:
            self._sftp._request(paramiko.sftp.CMD_CLOSE, handle)
        decodable = {raw.decode() for raw, _ in named if _is_utf8(raw)}
        entries = []
        for raw, attrs in named:
            name = readable_name(raw)
            if not _is_utf8(raw):
                if name in decodable:
                    log.warning("%s: %r reads as %s, the name of another file there: left for later",
                                self.endpoint, raw, name)
                    continue
                self._raw_paths[posixpath.join(remote_dir, name)] = posixpath.join(remote_dir.encode(), raw)
            attrs.filename = name
            entries.append(attrs)
        return entries

    def _wire(self, path: str) -> str | bytes:
        """The path as the server knows it: the bytes behind a name :meth:`list_ready` made readable."""
        return self._raw_paths.get(path, path)

    def download(self, remote_path: str, local_path: Path) -> Transferred:
        """Copy a remote file to ``local_path`` (via a local ``.part``); return its size and sha256."""
        local_path = Path(local_path)
        local_path.parent.mkdir(parents=True, exist_ok=True)
        # a name of 251 to 255 bytes has no room for .part: the temporary name is cut and marked
        tmp = local_path.with_name(fit_name(local_path.name, PART_SUFFIX))
        h = hashlib.sha256()
        size = 0
        try:
            expected = self._sftp.stat(self._wire(remote_path)).st_size
            with self._sftp.open(self._wire(remote_path), "rb") as src, tmp.open("wb") as dst:
                src.prefetch(expected)
                while chunk := src.read(1 << 20):
                    h.update(chunk)
                    dst.write(chunk)
                    size += len(chunk)
                dst.flush()
                os.fsync(dst.fileno())
            if size != expected:
                raise SftpTransferError(f"short download: {size} of {expected} bytes", self.endpoint,
                                        remote_path)
            os.replace(tmp, local_path)
        except SftpError:
            tmp.unlink(missing_ok=True)
            raise
        except _IO_ERRORS as exc:
            tmp.unlink(missing_ok=True)
            raise SftpTransferError(f"download failed ({_describe(exc)})", self.endpoint,
                                    remote_path) from exc
        return Transferred(str(local_path), size, h.hexdigest())

    def move(self, remote_src: str, remote_dst: str, replace: bool = False) -> None:
        """Rename on the server (``inbox/x`` -> ``inbox/processed/x``).

        By default an existing target is an error (a processed file is evidence, not overwritten);
        ``replace=True`` uses posix-rename, which replaces it atomically.
        """
        try:
            if replace:
                self._sftp.posix_rename(self._wire(remote_src), self._wire(remote_dst))
            else:
                if self._exists(remote_dst):
                    raise SftpTransferError(f"cannot move {remote_src}: target exists", self.endpoint,
                                            remote_dst)
                self._sftp.rename(self._wire(remote_src), self._wire(remote_dst))
        except SftpError:
            raise
        except _IO_ERRORS as exc:
            raise SftpTransferError(f"cannot move {remote_src} ({_describe(exc)})", self.endpoint,
                                    remote_dst) from exc

    def remove(self, remote_path: str) -> None:
        try:
            self._sftp.remove(self._wire(remote_path))
        except _IO_ERRORS as exc:
            raise SftpTransferError(f"cannot remove ({_describe(exc)})", self.endpoint,
                                    remote_path) from exc

    def _exists(self, remote_path: str) -> bool:
        try:
            self._sftp.stat(self._wire(remote_path))
        except FileNotFoundError:
            return False
        except _IO_ERRORS as exc:
            raise SftpTransferError(f"cannot stat ({_describe(exc)})", self.endpoint, remote_path) from exc
        return True


def readable_name(raw: bytes) -> str:
    """A remote file name as text: its UTF-8, or, for a name that is not UTF-8, the same with each
    undecodable byte written ``\\xNN`` (a name the fund can log, store, answer and move to)."""
    return raw.decode("utf-8", "backslashreplace")


def _is_utf8(raw: bytes) -> bool:
    try:
        raw.decode()
    except UnicodeDecodeError:
        return False
    return True


def _drain_writes(sftp: paramiko.SFTPClient, fh: paramiko.SFTPFile) -> None:
    """Wait for the acknowledgement of every pipelined write and raise the first error.

    paramiko (5.1) drops the status of pipelined writes that it does not wait for itself: a server
    answering "No space left on device" would go unnoticed until the read-back check. Reading the
    pending replies here (private attributes, pinned paramiko) turns them into an ``OSError`` at once.
    """
    pending = getattr(fh, "_reqs", None)
    while pending:
        sftp._read_response(pending.popleft())


_DROPPED_WORDS = ("socket is closed", "connection lost", "connection reset", "eof", "dropped", "closed by")


def _describe(exc: BaseException) -> str:
    """The error in words an engineer can act on; a lost link is said to be one, whatever paramiko
    raised for it (EOFError, ConnectionResetError, SSHException('Socket is closed'), ...)."""
    text = str(exc).strip() or "no detail"
    lowered = text.lower()
    if isinstance(exc, TimeoutError):
        return f"the server sent nothing for the session's I/O timeout ({type(exc).__name__}: {text})"
    if isinstance(exc, (EOFError, ConnectionError)) or any(w in lowered for w in _DROPPED_WORDS):
        return f"connection dropped ({type(exc).__name__}: {text})"
    return f"{type(exc).__name__}: {text}"


def _check_manifest(files: Sequence[Path], manifest: Path, endpoint: Endpoint) -> None:
    """Refuse to publish a package whose manifest does not list exactly these files and digests
    (:func:`recouvra.exchange.manifest.check_listed`; the manifest's other keys are the stage's business)."""
    try:
        check_listed(read_file_list(Path(manifest)), files, name=Path(manifest).name, exactly=True)
    except ManifestError as exc:
        raise SftpPackageError(f"manifest {exc}", endpoint) from exc
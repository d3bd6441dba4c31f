"""The embedded SFTP server: one chrooted, key-only account per agency on 127.0.0.1 (asyncssh).

It stands in for the agencies' real SFTP host in ``make demo`` and in the integration tests, so the
fund's client talks to a real SSH peer, and an agency's OpenSSH ``sftp`` can fetch what the fund wrote.

* Logins: two per agency home, public-key only, the key pairs and the host key under
  ``<sftp_root>/keys/`` (see :mod:`recouvra.sftp.keys`). The agency's (username = agency code in
  lower case, ``AG01`` -> ``ag01``, its own key) may read everything in its home and write only files
  directly in ``inbox/`` (:class:`_AgencySftp`); the fund's (``fund-ag01``, the one fund key) has
  every right inside the home: it writes ``outbox/``, ``outbox/acks/`` and ``inbox/processed/``.
* Homes: ``<sftp_root>/home/<AGENCY>/`` with ``outbox/``, ``outbox/acks/``, ``inbox/``,
  ``inbox/processed/``. Every path is mapped inside the home and checked after resolving symlinks;
  no login can create links; shell, exec, scp and forwarding are refused.
* Limits, checked before the bytes land (:class:`Limits`): a per-file cap (default the contract's
  50 MiB, the F005 limit) and a per-account quota (default 1 GiB, everything the home holds). A write,
  a remote copy or a size change that would cross either is refused with an SFTP error saying which
  limit (``File too large`` / ``Disk quota exceeded``; SSH_FX_FAILURE for SFTP v3 clients, the reason
  in its message) and the partial file is removed, so that no truncated file remains under any name.
* Faults (debug/test knob): a full disk (writes fail with SSH_FX_FAILURE "No space left on device"),
  a connection cut after N bytes written, to prove the client never leaves a partial file, and a
  session that hangs after N bytes moved (written or read), so that a test can kill the server
  process while a transfer is in flight, at a point it chose.
* Modes: :class:`EmbeddedSftpServer` runs in a background thread with its own event loop (tests,
  ``with EmbeddedSftpServer(...) as server``); :func:`serve_forever` / :func:`start_daemon` /
  :func:`stop_daemon` run it as a process that writes ``server.pid`` and ``server.port`` under
  ``sftp_root`` (``recouvra sftp serve --daemon``, ``recouvra sftp stop``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import asyncssh

from recouvra.exchange.names import HOME_FOLDERS
from recouvra.exchange.spec import MAX_FILE_BYTES
from recouvra.sftp.errors import SftpServerError
from recouvra.sftp.keys import (
    agency_key_path,
    connection_extras,
    ensure_agency_key,
    ensure_fund_key,
    ensure_host_key,
    host_key_line,
    known_hosts_line,
)

if TYPE_CHECKING:
    from collections.abc import Awaitable, Iterable, Mapping, Sequence

    from asyncssh.misc import MaybeAwait

    from recouvra.config import Settings
    from recouvra.sftp.client import SftpParams

log = logging.getLogger(__name__)

HOST = "127.0.0.1"
#: Folders of every agency home (agency-exchange v1, "Accounts and folders").
PID_FILE = "server.pid"
PORT_FILE = "server.port"
LOG_FILE = "server.log"


# --------------------------------------------------------------------------------------- accounts
@dataclass(frozen=True)
class Account:
    """One agency's home on the embedded server and its two logins.

    ``username``/``key_file``: the agency's own login (its client, the agency simulator): it reads its
    home and writes only ``inbox/``. ``fund_username``/``fund_key_file``: the fund's login to the same
    home (publication, ingestion, acknowledgements), with the one fund key shared by every home.
    """

    agency: str
    username: str
    home: Path
    key_file: Path  # the agency's private key
    fund_username: str
    fund_key_file: Path  # the fund's private key (the same for every agency)

    @property
    def public_key(self) -> Path:
        return self.key_file.with_name(self.key_file.name + ".pub")

    @property
    def fund_public_key(self) -> Path:
        return self.fund_key_file.with_name(self.fund_key_file.name + ".pub")


def username_for(agency: str) -> str:
    """Default login of an agency: its code in lower case (``AG01`` -> ``ag01``)."""
    return agency.lower()


def fund_username_for(agency: str) -> str:
    """The fund's login to an agency's home: ``fund-`` and the code in lower case (``fund-ag01``)."""
    return f"fund-{agency.lower()}"


def prepare_root(
    root: Path, agencies: Iterable[str], usernames: Mapping[str, str] | None = None
) -> list[Account]:
    """Create (idempotently) the host key, the fund's key, each agency's key pair and home folders;
    return the accounts."""
    root = root.resolve()
    ensure_host_key(root)
    fund_key = ensure_fund_key(root)
    accounts = []
    for agency in agencies:
        home = root / "home" / agency
        for folder in HOME_FOLDERS:
            (home / folder).mkdir(parents=True, exist_ok=True)
        ensure_agency_key(root, agency)
        username = (usernames or {}).get(agency, username_for(agency))
        accounts.append(Account(agency, username, home, agency_key_path(root, agency),
                                fund_username_for(agency), fund_key))
    names = [n for a in accounts for n in (a.username, a.fund_username)]
    if len(set(names)) != len(names):
        raise SftpServerError(f"two logins share an SFTP username: {names}")
    return accounts


def sftp_root(settings: Settings) -> Path:
    """``storage.sftp_root`` resolved against the project root."""
    return settings.path(settings.storage.sftp_root).resolve()


def accounts_from_settings(settings: Settings) -> list[Account]:
    return prepare_root(sftp_root(settings), [a.code for a in settings.agencies])


# ----------------------------------------------------------------------------------------- limits
#: Default quota of an account: twenty files of the contract's largest size (1 GiB).
DEFAULT_QUOTA_BYTES = 20 * MAX_FILE_BYTES


@dataclass(frozen=True)
class Limits:
    """What one account may store, enforced on every write before the bytes land.

    ``max_file_bytes``: the largest file (default the contract's 50 MiB: a larger return file would
    only be answered F005). ``quota_bytes``: the most the account's home may hold, every folder
    counted by the files' apparent sizes (a sparse file counts whole). The quota is checked against
    what the home held when an upload first grew its file plus what it added since: two uploads at
    once may together pass it by at most what the second one wrote.
    """

    max_file_bytes: int = MAX_FILE_BYTES
    quota_bytes: int = DEFAULT_QUOTA_BYTES

    def __post_init__(self) -> None:
        if self.max_file_bytes <= 0 or self.quota_bytes <= 0:
            raise SftpServerError(f"SFTP limits must be positive byte counts: {self}")


def home_usage(home: Path) -> int:
    """Bytes the files under ``home`` hold (apparent sizes; links and folders count nothing)."""
    total = 0
    for folder, _, files in os.walk(home):
        for name in files:
            with contextlib.suppress(OSError):  # gone since the listing
                st = os.lstat(os.path.join(folder, name))
                if not os.path.islink(os.path.join(folder, name)):
                    total += st.st_size
    return total


class _Upload:
    """A file open on the server: where it is, what the home held when it first grew, what it added."""

    def __init__(self, local: bytes, home: Path) -> None:
        self.local = local
        self.home = home
        self.usage_at_open: int | None = None
        self.grown = 0
        self.refused: asyncssh.SFTPError | None = None

    def usage(self) -> int:
        if self.usage_at_open is None:
            self.usage_at_open = home_usage(self.home)
        return self.usage_at_open + self.grown


# ----------------------------------------------------------------------------------------- faults
@dataclass
class Faults:
    """Faults the server simulates, changeable while it runs (tests flip them between uploads).

    ``disk_full_after``: bytes the "disk" still accepts, counted over all accounts from now on;
    ``0`` means full. Further writes fail with SSH_FX_FAILURE "No space left on device".
    ``drop_after``: bytes one SSH session may write; the write that crosses it is cut short and
    the connection is aborted, as when the network fails mid-upload.
    ``stall_after``: bytes one SSH session may move, file data written and read together; the
    request that would cross it is never answered and the session hangs there (the bytes before it
    landed, or were sent), as a server that stops mid-transfer. A test then kills the server process
    with a transfer in flight, at a point it chose, instead of racing the transfer.
    """

    disk_full_after: int | None = None
    drop_after: int | None = None
    stall_after: int | None = None
    _written: int = field(default=0, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def clear(self) -> None:
        with self._lock:
            self.disk_full_after = None
            self.drop_after = None
            self.stall_after = None
            self._written = 0

    def set(self, *, disk_full_after: int | None = None, drop_after: int | None = None,
            stall_after: int | None = None) -> None:
        with self._lock:
            self.disk_full_after = disk_full_after
            self.drop_after = drop_after
            self.stall_after = stall_after
            self._written = 0

    def reserve(self, size: int) -> bool:
        """Account for a write of ``size`` bytes; False when the simulated disk cannot take it."""
        with self._lock:
            if self.disk_full_after is not None and self._written + size > self.disk_full_after:
                return False
            self._written += size
            return True


# ------------------------------------------------------------------------------------- the server
class _HomeSftp(asyncssh.SFTPServer):
    """SFTP session confined to one agency's home even through symlinks: the fund's login as is (every
    right inside the home), the agency's through :class:`_AgencySftp` (the contract's folder rules)."""

    def __init__(
        self, chan: asyncssh.SSHServerChannel[bytes], home: Path, faults: Faults, limits: Limits
    ) -> None:
        super().__init__(chan, chroot=str(home).encode())
        self._home = os.path.realpath(home).encode()
        self._home_path = Path(os.path.realpath(home))
        self._faults = faults
        self._limits = limits
        self._session_written = 0
        self._session_moved = 0  # file data written and read, for faults.stall_after
        self._dropped = False
        self._uploads: dict[int, _Upload] = {}  # id(file object) -> its upload

    def map_path(self, path: bytes) -> bytes:
        # asyncssh's chroot normalises "..", "/" and absolute paths into the home, but follows
        # symlinks that already exist there: resolve them and refuse anything that lands outside.
        local = super().map_path(path)
        real = os.path.realpath(local)
        if real != self._home and not real.startswith(self._home + b"/"):
            raise asyncssh.SFTPPermissionDenied("Permission denied: outside the account's home")
        return local

    def symlink(self, oldpath: bytes, newpath: bytes) -> None:
        raise asyncssh.SFTPPermissionDenied("Permission denied: links are not allowed")

    def link(self, oldpath: bytes, newpath: bytes) -> None:
        raise asyncssh.SFTPPermissionDenied("Permission denied: links are not allowed")

    # -- limits: per-file cap and per-account quota, before the bytes land
    def close(self, file_obj: object) -> None:
        self._uploads.pop(id(file_obj), None)
        super().close(file_obj)

    def _name(self, local: bytes) -> str:
        """The path as the account sees it (from its home), for error messages."""
        return "/" + os.path.relpath(local, self._home).decode(errors="replace")

    def _refusal(
        self, name: str, new_size: int, growth: int, usage: int, outcome: str
    ) -> asyncssh.SFTPError | None:
        """The error refusing ``growth`` more bytes that bring ``name`` to ``new_size``, or None.
        ``outcome`` ends the message: what became of the file."""
        limits = self._limits
        if growth <= 0:
            return None
        if new_size > limits.max_file_bytes:
            contract = " (agency-exchange/1: 50 MiB)" if limits.max_file_bytes == MAX_FILE_BYTES else ""
            return asyncssh.SFTPFailure(
                f"File too large: {name} would hold more than {limits.max_file_bytes:,} bytes, the largest "
                f"file this account accepts{contract}; {outcome}"
            )
        if usage + growth > limits.quota_bytes:
            return asyncssh.SFTPQuotaExceeded(
                f"Disk quota exceeded: the account holds {usage:,} bytes and {name} would add {growth:,}, "
                f"beyond its quota of {limits.quota_bytes:,} bytes; {outcome} (ask the fund to archive "
                "inbox/processed/)"
            )
        return None

    def _check_growth(self, file_obj: Any, new_size: int | None = None, appended: int = 0) -> None:
        """Refuse, and remove the file, when an open file would grow past a limit: to ``new_size``
        bytes (a write at an offset, a size set), or by ``appended`` bytes at its end."""
        local = os.fsencode(file_obj.name)
        upload = self._uploads.setdefault(id(file_obj), _Upload(local, self._home_path))
        if upload.refused is not None:
            raise upload.refused
        current = os.fstat(file_obj.fileno()).st_size
        size = current + appended if new_size is None else new_size
        growth = size - current
        refusal = self._refusal(self._name(local), size, growth, upload.usage() if growth > 0 else 0,
                                "upload refused, file removed")
        if refusal is None:
            upload.grown += max(0, growth)
            return
        upload.refused = refusal
        log.warning("refused: %s", refusal.reason)
        with contextlib.suppress(OSError):  # free the bytes at once; the name goes too
            os.ftruncate(file_obj.fileno(), 0)
            if os.stat(local).st_ino == os.fstat(file_obj.fileno()).st_ino:
                os.unlink(local)
        raise refusal

    def _check_size_change(self, local: bytes, attrs: asyncssh.SFTPAttrs) -> None:
        """A size set by path (truncate or extend) passes the same limits (refused, file kept)."""
        if attrs.size is None:
            return
        try:
            current = os.stat(local).st_size
        except OSError:
            return  # the server's own call says why
        growth = attrs.size - current
        refusal = self._refusal(self._name(local), attrs.size, growth,
                                home_usage(self._home_path) if growth > 0 else 0, "size left as it was")
        if refusal is not None:
            log.warning("refused: %s", refusal.reason)
            raise refusal

    def setstat(self, path: bytes, attrs: asyncssh.SFTPAttrs) -> None:
        self._check_size_change(self.map_path(path), attrs)
        super().setstat(path, attrs)

    def lsetstat(self, path: bytes, attrs: asyncssh.SFTPAttrs) -> None:
        self._check_size_change(self.map_path(path), attrs)
        super().lsetstat(path, attrs)

    def fsetstat(self, file_obj: object, attrs: asyncssh.SFTPAttrs) -> None:
        if attrs.size is not None:
            self._check_growth(file_obj, new_size=attrs.size)
        super().fsetstat(file_obj, attrs)

    # -- faults
    def _stall(self, size: int) -> Awaitable[NoReturn] | None:
        """A request that never completes when moving ``size`` more bytes crosses ``faults.stall_after``."""
        limit = self._faults.stall_after
        if limit is None or self._session_moved + size <= limit:
            self._session_moved += size
            return None
        log.warning("fault: session stalled after %d bytes moved; the request for %d more is never answered",
                    self._session_moved, size)
        return _hang()

    def read(self, file_obj: object, offset: int, size: int) -> MaybeAwait[bytes]:
        stalled = self._stall(size)
        if stalled is not None:
            return stalled
        return super().read(file_obj, offset, size)

    def write(self, file_obj: object, offset: int, data: bytes) -> MaybeAwait[int]:
        stalled = self._stall(len(data))
        if stalled is not None:
            return stalled
        if "a" in getattr(file_obj, "mode", ""):  # O_APPEND: the data lands at the end, whatever the offset
            self._check_growth(file_obj, appended=len(data))
        else:
            self._check_growth(file_obj, new_size=offset + len(data))
        faults = self._faults
        if faults.drop_after is not None and self._session_written + len(data) > faults.drop_after:
            keep = max(0, faults.drop_after - self._session_written)
            if keep:
                super().write(file_obj, offset, data[:keep])
            self._session_written += keep
            if self._dropped:
                raise asyncssh.SFTPConnectionLost("Connection dropped (simulated fault)")
            self._dropped = True
            log.warning("fault: dropping the connection after %d bytes", self._session_written)
            self.connection.abort()
            raise asyncssh.SFTPConnectionLost("Connection dropped (simulated fault)")
        if not faults.reserve(len(data)):
            raise asyncssh.SFTPFailure("No space left on device")
        self._session_written += len(data)
        return super().write(file_obj, offset, data)


async def _hang() -> NoReturn:
    """Wait for ever: a stalled request (:attr:`Faults.stall_after`) until its session or server dies."""
    await asyncio.Event().wait()
    raise AssertionError("unreachable: the event is never set")


#: Attributes an agency may set on its own inbox files (a size passes the limits, a mode keeps the floor
#: below; ``type`` only echoes the mode's file type and sets nothing).
_AGENCY_ATTRS = frozenset({"type", "size", "permissions", "atime", "atime_ns", "mtime", "mtime_ns"})
#: Bits a mode set by an agency must keep: the server (the fund's reader) reads and manages the file.
_AGENCY_MODE_FLOOR = 0o600
_INBOX_RULE = ("an agency writes, renames and removes only files directly in /inbox/ (agency-exchange/1: "
               "outbox/, outbox/acks/ and inbox/processed/ are written by the fund)")
_FOLDER_RULE = ("an agency creates and removes no folder (agency-exchange/1: the fund keeps the account's "
                "folders)")
_ATTRS_RULE = ("an agency may set only the times, the size and a mode keeping owner read and write (0600) "
               "of its own files directly in /inbox/; never ownership, and nothing on the fund's folders "
               "and files")


class _AgencySftp(_HomeSftp):
    """The agency's login: read everything in its home, write only files directly in ``inbox/``.

    Every other change is refused with SSH_FX_PERMISSION_DENIED and a message naming the path and the
    rule (logged too): a write, creation, removal or rename in ``outbox/``, ``outbox/acks/``,
    ``inbox/processed/`` or the home itself, a rename into or out of ``inbox/``, any ``mkdir``/``rmdir``,
    and attribute changes other than the times, size and a harmless mode of its own inbox files (OpenSSH's
    ``put -p`` keeps working). A mode asked at creation keeps owner read and write (like a umask, the
    other way): the fund must be able to read what the agency sends.
    """

    def __init__(
        self, chan: asyncssh.SSHServerChannel[bytes], home: Path, faults: Faults, limits: Limits
    ) -> None:
        super().__init__(chan, home, faults, limits)
        self._inbox = self._home + b"/inbox"

    def _real(self, local: bytes) -> bytes:
        return os.path.realpath(local)

    def _agency_file(self, local: bytes) -> bool:
        """True for a (possibly new) file directly in the home's inbox/, links resolved."""
        real = self._real(local)
        parent, name = os.path.split(real)
        return parent == self._inbox and name not in (b"", b"processed") and not os.path.isdir(real)

    def _deny(self, local: bytes, rule: str) -> asyncssh.SFTPPermissionDenied:
        message = f"Permission denied: {self._name(self._real(local))}: {rule}"
        log.warning("refused for %s: %s", self.channel.get_extra_info("username"), message)
        return asyncssh.SFTPPermissionDenied(message)

    def _writable(self, path: bytes) -> bytes:
        local = self.map_path(path)
        if not self._agency_file(local):
            raise self._deny(local, _INBOX_RULE)
        return local

    def _check_attrs(self, local: bytes, attrs: asyncssh.SFTPAttrs) -> None:
        if not self._agency_file(local):
            raise self._deny(local, _ATTRS_RULE)
        unset = type(attrs)()
        given = {k for k in type(attrs).__slots__ if getattr(attrs, k) != getattr(unset, k)}
        mode = attrs.permissions
        harmless_mode = mode is None or (
            not mode & 0o7000 and mode & _AGENCY_MODE_FLOOR == _AGENCY_MODE_FLOOR  # no setuid/setgid/sticky
        )
        if not given <= _AGENCY_ATTRS or not harmless_mode:
            raise self._deny(local, _ATTRS_RULE)

    @staticmethod
    def _creation_attrs(attrs: asyncssh.SFTPAttrs) -> asyncssh.SFTPAttrs:
        if attrs.permissions is not None:
            attrs.permissions = (attrs.permissions & 0o777) | _AGENCY_MODE_FLOOR
        return attrs

    def open(self, path: bytes, pflags: int, attrs: asyncssh.SFTPAttrs) -> object:
        if pflags & (asyncssh.FXF_WRITE | asyncssh.FXF_APPEND | asyncssh.FXF_CREAT | asyncssh.FXF_TRUNC):
            self._writable(path)
        return super().open(path, pflags, self._creation_attrs(attrs))

    def open56(self, path: bytes, desired_access: int, flags: int, attrs: asyncssh.SFTPAttrs) -> object:
        writes = desired_access & (asyncssh.ACE4_WRITE_DATA | asyncssh.ACE4_APPEND_DATA |
                                   asyncssh.ACE4_WRITE_ATTRIBUTES)
        if writes or flags & asyncssh.FXF_ACCESS_DISPOSITION != asyncssh.FXF_OPEN_EXISTING:
            self._writable(path)
        return super().open56(path, desired_access, flags, self._creation_attrs(attrs))

    def remove(self, path: bytes) -> None:
        self._writable(path)
        super().remove(path)

    def rename(self, oldpath: bytes, newpath: bytes) -> None:
        self._writable(oldpath)
        self._writable(newpath)
        super().rename(oldpath, newpath)

    def posix_rename(self, oldpath: bytes, newpath: bytes) -> None:
        self._writable(oldpath)
        self._writable(newpath)
        super().posix_rename(oldpath, newpath)

    def mkdir(self, path: bytes, attrs: asyncssh.SFTPAttrs) -> None:
        raise self._deny(self.map_path(path), _FOLDER_RULE)

    def rmdir(self, path: bytes) -> None:
        raise self._deny(self.map_path(path), _FOLDER_RULE)

    def setstat(self, path: bytes, attrs: asyncssh.SFTPAttrs) -> None:
        self._check_attrs(self.map_path(path), attrs)
        super().setstat(path, attrs)

    def lsetstat(self, path: bytes, attrs: asyncssh.SFTPAttrs) -> None:
        self._check_attrs(self.map_path(path), attrs)
        super().lsetstat(path, attrs)

    def fsetstat(self, file_obj: object, attrs: asyncssh.SFTPAttrs) -> None:
        self._check_attrs(os.fsencode(file_obj.name), attrs)  # type: ignore[attr-defined]
        super().fsetstat(file_obj, attrs)


class _SshServer(asyncssh.SSHServer):
    """Public-key authentication only; each login's authorized key is read at login (rotation = edit .pub).

    ``public_keys``: login -> the ``.pub`` file holding its authorized key(s).
    """

    def __init__(self, public_keys: Mapping[str, Path]) -> None:
        self._public_keys = public_keys
        self._conn: asyncssh.SSHServerConnection | None = None

    def connection_made(self, conn: asyncssh.SSHServerConnection) -> None:
        self._conn = conn

    def begin_auth(self, username: str) -> bool:
        public_key = self._public_keys.get(username)
        if public_key is not None and self._conn is not None:
            self._conn.set_authorized_keys(asyncssh.read_authorized_keys(str(public_key)))
        return True  # unknown users get no authorized keys, hence fail like a wrong key

    def password_auth_supported(self) -> bool:
        return False

    def kbdint_auth_supported(self) -> bool:
        return False

    def public_key_auth_supported(self) -> bool:
        return True


class EmbeddedSftpServer:
    """The embedded server; ``with EmbeddedSftpServer(root, agencies) as s:`` runs it in a thread.

    ``port=0`` picks a free port (read it from :attr:`port` once started). Keys and homes are
    created under ``root`` on construction. ``limits``: each account's per-file cap and quota
    (default :class:`Limits`: 50 MiB and 1 GiB).
    """

    def __init__(
        self,
        root: Path,
        agencies: Iterable[str],
        *,
        host: str = HOST,
        port: int = 0,
        usernames: Mapping[str, str] | None = None,
        faults: Faults | None = None,
        limits: Limits | None = None,
    ) -> None:
        self.root = root.resolve()
        self.host = host
        self._requested_port = port
        self.accounts = prepare_root(self.root, agencies, usernames)
        self.faults = faults or Faults()
        self.limits = limits or Limits()
        self._acceptor: asyncssh.SSHAcceptor | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._port: int | None = None
        self._attached = False

    @classmethod
    def attach(cls, root: Path, agencies: Iterable[str]) -> EmbeddedSftpServer:
        """The daemon serving ``root`` (:func:`start_daemon`) as a server object: its accounts,
        :meth:`params` and :meth:`known_hosts_line` on the daemon's port, for a test or a script that
        talks to it. Nothing is started here, and :meth:`stop` leaves the daemon running
        (:func:`stop_daemon` ends it). Raises :class:`SftpServerError` when no daemon serves ``root``."""
        server = cls(root, agencies)
        port = running_port(server.root)
        if port is None:
            raise SftpServerError(f"no embedded SFTP server runs for {server.root}: start it with "
                                  "`recouvra sftp serve --daemon`")
        server._port, server._attached = port, True
        return server

    # -- what clients need
    @property
    def port(self) -> int:
        if self._port is None:
            raise SftpServerError("the embedded SFTP server is not started")
        return self._port

    def account(self, agency: str) -> Account:
        for a in self.accounts:
            if a.agency == agency:
                return a
        raise KeyError(f"no SFTP account for agency {agency!r}")

    def host_key(self) -> str:
        return host_key_line(self.root)

    def known_hosts_line(self) -> str:
        return known_hosts_line(self.root, self.host, self.port)

    def params(self, agency: str) -> SftpParams:
        """What the fund connects with to an agency's home: the fund's login and key, host key pinned."""
        from recouvra.sftp.client import SftpParams

        a = self.account(agency)
        return SftpParams(
            host=self.host, port=self.port, username=a.fund_username, key_file=a.fund_key_file,
            host_key=self.host_key(), agency=agency,
        )

    def agency_params(self, agency: str) -> SftpParams:
        """What the agency itself connects with (its login and key: it writes only ``inbox/``)."""
        from dataclasses import replace

        a = self.account(agency)
        return replace(self.params(agency), username=a.username, key_file=a.key_file)

    # -- asyncio side
    async def start_async(self) -> int:
        """Start listening on the current event loop; return the port."""
        public_keys = {a.username: a.public_key for a in self.accounts}
        public_keys |= {a.fund_username: a.fund_public_key for a in self.accounts}
        sessions: dict[str, tuple[type[_HomeSftp], Path]] = {a.username: (_AgencySftp, a.home)
                                                             for a in self.accounts}
        sessions |= {a.fund_username: (_HomeSftp, a.home) for a in self.accounts}
        faults = self.faults

        def sftp_factory(chan: asyncssh.SSHServerChannel[bytes]) -> asyncssh.SFTPServer:
            # self.limits read per session: a test may change them while the server runs
            session, home = sessions[chan.get_extra_info("username")]
            return session(chan, home, faults, self.limits)

        self._acceptor = await asyncssh.listen(
            self.host,
            self._requested_port,
            server_factory=lambda: _SshServer(public_keys),
            server_host_keys=[str(ensure_host_key(self.root))],
            sftp_factory=sftp_factory,
            allow_scp=False,
            agent_forwarding=False,
            login_timeout=30,
            reuse_address=True,
        )
        self._port = int(self._acceptor.sockets[0].getsockname()[1])
        log.info("embedded SFTP server listening on %s:%d, root %s, files up to %s bytes, %s per account",
                 self.host, self._port, self.root, f"{self.limits.max_file_bytes:,}",
                 f"{self.limits.quota_bytes:,}")
        return self._port

    async def stop_async(self) -> None:
        if self._acceptor is not None:
            self._acceptor.close()
            await self._acceptor.wait_closed()
            self._acceptor = None

    # -- background thread
    def start(self) -> EmbeddedSftpServer:
        """Run the server in a daemon thread with its own event loop; return once it listens."""
        if self._thread is not None:
            return self
        if self._attached:
            raise SftpServerError(f"{self.root} is served by a daemon on port {self._port}: not started "
                                  "twice")
        loop = asyncio.new_event_loop()
        thread = threading.Thread(target=loop.run_forever, name="recouvra-sftp", daemon=True)
        thread.start()
        try:
            asyncio.run_coroutine_threadsafe(self.start_async(), loop).result(timeout=30)
        except Exception as exc:
            loop.call_soon_threadsafe(loop.stop)
            thread.join(timeout=5)
            loop.close()
            raise SftpServerError(f"embedded SFTP server did not start on {self.host}: {exc}") from exc
        self._loop, self._thread = loop, thread
        return self

    def stop(self) -> None:
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        with contextlib.suppress(Exception):
            asyncio.run_coroutine_threadsafe(self.stop_async(), loop).result(timeout=10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        loop.close()
        self._loop = self._thread = None
        self._port = None

    def __enter__(self) -> EmbeddedSftpServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


# ------------------------------------------------------------------------------ long-running mode
def _state_files(root: Path) -> tuple[Path, Path]:
    return root / PID_FILE, root / PORT_FILE


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    cmdline = Path(f"/proc/{pid}/cmdline")
    if cmdline.exists():  # a recycled PID is not our server
        return b"recouvra.standins.sftp_server" in cmdline.read_bytes()
    return True


def running_port(root: Path) -> int | None:
    """Port of the daemon serving ``root`` when it runs, else None (stale state files are ignored)."""
    pid_file, port_file = _state_files(root)
    try:
        pid = int(pid_file.read_text().strip())
        port = int(port_file.read_text().strip())
    except (FileNotFoundError, ValueError):
        return None
    return port if _alive(pid) else None


def serve_forever(
    root: Path, agencies: Sequence[str], *, host: str = HOST, port: int = 0, faults: Faults | None = None,
    limits: Limits | None = None,
) -> None:
    """Serve in the foreground until SIGTERM/SIGINT, with ``server.pid``/``server.port`` under root."""
    server = EmbeddedSftpServer(root, agencies, host=host, port=port, faults=faults, limits=limits)
    pid_file, port_file = _state_files(server.root)

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        chosen = await server.start_async()
        port_file.write_text(f"{chosen}\n")
        pid_file.write_text(f"{os.getpid()}\n")  # written last: its presence means "ready"
        try:
            await stop.wait()
        finally:
            await server.stop_async()
            for f in (pid_file, port_file):
                f.unlink(missing_ok=True)

    asyncio.run(main())


def start_daemon(
    root: Path,
    agencies: Sequence[str],
    *,
    host: str = HOST,
    port: int = 0,
    faults: Faults | None = None,
    limits: Limits | None = None,
    timeout: float = 20.0,
) -> int:
    """Start the server as a detached process (idempotent: reuse a running one); return its port."""
    root = root.resolve()
    existing = running_port(root)
    if existing is not None:
        return existing
    root.mkdir(parents=True, exist_ok=True)
    prepare_root(root, agencies)  # keys and homes before the child starts: errors show here
    pid_file, port_file = _state_files(root)
    for f in (pid_file, port_file):
        f.unlink(missing_ok=True)
    cmd = [sys.executable, "-m", "recouvra.standins.sftp_server", "--root", str(root), "--host", host,
           "--port", str(port), *[f"--agency={a}" for a in agencies]]
    if faults is not None and faults.disk_full_after is not None:
        cmd += ["--fault-disk-full-after", str(faults.disk_full_after)]
    if faults is not None and faults.drop_after is not None:
        cmd += ["--fault-drop-after", str(faults.drop_after)]
    if faults is not None and faults.stall_after is not None:
        cmd += ["--fault-stall-after", str(faults.stall_after)]
    if limits is not None:
        cmd += ["--max-file-bytes", str(limits.max_file_bytes), "--quota-bytes", str(limits.quota_bytes)]
    with open(root / LOG_FILE, "ab") as logf:
        proc = subprocess.Popen(
            cmd, stdin=subprocess.DEVNULL, stdout=logf, stderr=subprocess.STDOUT, start_new_session=True
        )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SftpServerError(
                f"embedded SFTP server exited with code {proc.returncode}: see {root / LOG_FILE}"
            )
        found = running_port(root)
        if found is not None:
            return found
        time.sleep(0.1)
    proc.terminate()
    raise SftpServerError(f"embedded SFTP server did not start within {timeout:.0f} s: see {root / LOG_FILE}")


def stop_daemon(root: Path, timeout: float = 10.0) -> bool:
    """Stop the daemon serving ``root`` by its PID; True when one was running."""
    pid_file, port_file = _state_files(root.resolve())
    try:
        pid = int(pid_file.read_text().strip())
    except (FileNotFoundError, ValueError):
        return False
    if not _alive(pid):
        for f in (pid_file, port_file):
            f.unlink(missing_ok=True)
        return False
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and _alive(pid):
        time.sleep(0.1)
    if _alive(pid):
        raise SftpServerError(f"embedded SFTP server (pid {pid}) did not stop within {timeout:.0f} s")
    for f in (pid_file, port_file):
        f.unlink(missing_ok=True)
    return True


# ------------------------------------------------------------------------- Airflow's connections
def airflow_connection_env(
    settings: Settings, port: int | None = None, host: str = HOST
) -> dict[str, str]:
    """``AIRFLOW_CONN_<SFTP_CONN_ID>`` JSON values pointing every agency at the embedded server.

    ``port`` defaults to the running daemon's (``server.port`` under ``sftp_root``). Each connection is
    the fund's login to that agency's home (``fund-ag01``), names the fund's key file and pins the host
    key: ``airflow dags test`` then needs no manual step.
    """
    root = sftp_root(settings)
    accounts = {a.agency: a for a in accounts_from_settings(settings)}
    if port is None:
        port = running_port(root)
        if port is None:
            raise SftpServerError(
                f"the embedded SFTP server for {root} is not running: start it with "
                "`recouvra sftp serve --daemon`"
            )
    env: dict[str, str] = {}
    for agency in settings.agencies:
        account = accounts[agency.code]
        value: dict[str, Any] = {
            "conn_type": "sftp",
            "host": host,
            "port": port,
            "login": account.fund_username,
            "extra": connection_extras(root),
        }
        env[f"AIRFLOW_CONN_{agency.sftp_conn_id.upper()}"] = json.dumps(value)
    return env


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m recouvra.standins.sftp_server``: the foreground process :func:`start_daemon` launches."""
    p = argparse.ArgumentParser(prog="python -m recouvra.standins.sftp_server")
    p.add_argument("--root", required=True, type=Path)
    p.add_argument("--host", default=HOST)
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--agency", action="append", required=True)
    p.add_argument("--fault-disk-full-after", type=int)
    p.add_argument("--fault-drop-after", type=int)
    p.add_argument("--fault-stall-after", type=int)
    p.add_argument("--max-file-bytes", type=int, default=Limits.max_file_bytes)
    p.add_argument("--quota-bytes", type=int, default=Limits.quota_bytes)
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    logging.getLogger("asyncssh").setLevel(logging.WARNING)
    faults = Faults(disk_full_after=args.fault_disk_full_after, drop_after=args.fault_drop_after,
                    stall_after=args.fault_stall_after)
    limits = Limits(max_file_bytes=args.max_file_bytes, quota_bytes=args.quota_bytes)
    serve_forever(args.root, args.agency, host=args.host, port=args.port, faults=faults, limits=limits)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

"""The fund's SFTP client without a server: digests, the pinned host key, how connection failures are
typed, and the folder rules (what is listed, what a move refuses, how a failed upload is cleaned up)
over a session that is a local folder. Transfers against a real server are in tests/integration."""

from __future__ import annotations

import hashlib
import json
import os
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import paramiko
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from recouvra.exchange.manifest import Manifest, ManifestEntry
from recouvra.sftp.client import (
    ParamikoSftpClient,
    RemoteFile,
    SftpParams,
    _check_manifest,
    classify_connect_error,
    connect,
    parse_host_key,
    sha256_file,
)
from recouvra.sftp.errors import (
    Endpoint,
    SftpAuthError,
    SftpConnectionError,
    SftpError,
    SftpHostKeyError,
    SftpPackageError,
    SftpTransferError,
    SftpUploadError,
)

ENDPOINT = Endpoint("AG01", "127.0.0.1", 2222, "ag01")


def host_key() -> str:
    public = Ed25519PrivateKey.generate().public_key()
    return public.public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode()


class FolderSession:
    """The few calls of a paramiko SFTP session the client makes for listing, moving and removing,
    answered from a local folder (paths relative to it), with the errors a failing link raises."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.fail: dict[str, BaseException] = {}
        self.calls: list[tuple[str, str]] = []

    def _path(self, remote: str) -> Path:
        return self.root / remote

    def _maybe_fail(self, op: str, remote: str) -> None:
        self.calls.append((op, remote))
        if op in self.fail:
            raise self.fail[op]

    def listdir_attr(self, remote: str) -> list[paramiko.SFTPAttributes]:
        self._maybe_fail("listdir_attr", remote)
        folder = self._path(remote)
        return [paramiko.SFTPAttributes.from_stat(os.lstat(p), p.name) for p in folder.iterdir()]

    def stat(self, remote: str) -> paramiko.SFTPAttributes:
        self._maybe_fail("stat", remote)
        return paramiko.SFTPAttributes.from_stat(os.stat(self._path(remote)))

    def rename(self, src: str, dst: str) -> None:
        self._maybe_fail("rename", src)
        os.rename(self._path(src), self._path(dst))

    def posix_rename(self, src: str, dst: str) -> None:
        self._maybe_fail("posix_rename", src)
        os.replace(self._path(src), self._path(dst))

    def remove(self, remote: str) -> None:
        self._maybe_fail("remove", remote)
        self._path(remote).unlink()

    def open(self, remote: str, mode: str = "r") -> Any:
        self._maybe_fail("open", remote)
        return self._path(remote).open(mode)

    def get_channel(self) -> Any:  # the client sets its I/O timeout on the session's channel
        return self

    def settimeout(self, seconds: float) -> None:
        self.timeout = seconds


@pytest.fixture()
def remote(tmp_path: Path) -> Path:
    root = tmp_path / "home"
    (root / "inbox" / "processed").mkdir(parents=True)
    return root


def client(session: FolderSession, reconnect: Any = None) -> ParamikoSftpClient:
    return ParamikoSftpClient(session, ENDPOINT, reconnect=reconnect)  # type: ignore[arg-type]


# ------------------------------------------------------------------------------------ local files
def test_sha256_file_reads_the_whole_file_in_chunks(tmp_path: Path) -> None:
    data = os.urandom(3 * (1 << 20) + 17)  # more than one read of 1 MiB
    path = tmp_path / "big.csv"
    path.write_bytes(data)
    assert sha256_file(path) == (len(data), hashlib.sha256(data).hexdigest())
    (tmp_path / "empty.csv").write_bytes(b"")
    assert sha256_file(tmp_path / "empty.csv") == (0, hashlib.sha256(b"").hexdigest())


@pytest.mark.parametrize(
    ("listed", "message"),
    [
        (["a.csv"], "lists"),
        (["a.csv", "b.csv", "c.csv"], "lists"),
        (["a.csv", "b.csv*"], "sha256"),
    ],
)
def test_manifest_must_match_package(tmp_path: Path, listed: list[str], message: str) -> None:
    files = []
    for name in ("a.csv", "b.csv"):
        (tmp_path / name).write_text(name, encoding="utf-8")
        files.append(tmp_path / name)
    entries = tuple(
        ManifestEntry(n.rstrip("*"), "0" * 64 if n.endswith("*") else sha256_file(tmp_path / n)[1]
                      if (tmp_path / n).exists() else "0" * 64, 1, "0.00")
        for n in listed
    )
    manifest = tmp_path / "m.manifest.json"
    manifest.write_bytes(Manifest("AG01", 1, "2026-11-01T06:00:00Z", entries, month="2026-11").render())
    endpoint = Endpoint("AG01", "127.0.0.1", 22, "ag01")
    with pytest.raises(SftpPackageError, match=message):
        _check_manifest(files, manifest, endpoint)
    manifest.write_bytes(Manifest("AG01", 1, "2026-11-01T06:00:00Z", tuple(
        ManifestEntry(f.name, sha256_file(f)[1], 1, "0.00") for f in files), month="2026-11").render())
    _check_manifest(files, manifest, endpoint)  # a consistent package passes
    manifest.write_text(  # the transport checks the listed files only
        json.dumps({"files": [{"name": f.name, "sha256": sha256_file(f)[1]} for f in files]}),
        encoding="utf-8",
    )
    _check_manifest(files, manifest, endpoint)


def test_publish_package_checks_the_manifest_before_touching_the_server(remote: Path, tmp_path: Path) -> None:
    data = tmp_path / "CNSS_ASSIGN_AG01_202611_01.csv"
    data.write_text("dossier_id\nD1\n", encoding="utf-8")
    manifest = tmp_path / "CNSS_ASSIGN_AG01_202611_01.manifest.json"
    manifest.write_text(json.dumps({"files": [{"name": data.name, "sha256": "0" * 64}]}), encoding="utf-8")
    session = FolderSession(remote)
    with pytest.raises(SftpPackageError, match="manifest says 0000"):
        client(session).publish_package([data], manifest)
    assert session.calls == []
    manifest.write_text("not json", encoding="utf-8")
    with pytest.raises(SftpPackageError, match="not readable JSON"):
        client(session).publish_package([data], manifest)
    manifest.write_text(json.dumps({"name": data.name}), encoding="utf-8")
    with pytest.raises(SftpPackageError, match="has no 'files' list"):
        client(session).publish_package([data], manifest)
    assert session.calls == []


# ------------------------------------------------------------------------------ host key, params
def test_parse_host_key_reads_type_and_base64_and_ignores_a_comment() -> None:
    line = host_key()
    key = parse_host_key(f"  {line} fund@host\n")
    assert key.get_name() == "ssh-ed25519"
    assert key.get_base64() == line.split()[1]


@pytest.mark.parametrize(
    ("line", "words"),
    [
        ("", "must be '<type> <base64>'"),
        ("ssh-ed25519", "must be '<type> <base64>'"),
        ("ssh-ed25519 AAAAnotakey", "cannot be read"),
        ("ssh-unknown AAAAC3NzaC1lZDI1NTE5AAAAIA==", "cannot be read"),
    ],
)
def test_parse_host_key_refuses_what_is_not_a_key(line: str, words: str) -> None:
    with pytest.raises(ValueError, match=words):
        parse_host_key(line)


def test_params_name_their_endpoint_by_agency_or_else_by_account(tmp_path: Path) -> None:
    params = SftpParams("sftp.example.ma", 22, "ag01", tmp_path / "k", host_key(), agency="AG01")
    assert params.endpoint == Endpoint("AG01", "sftp.example.ma", 22, "ag01")
    assert params.timeout == 10.0
    anonymous = SftpParams("sftp.example.ma", 2222, "ag02", tmp_path / "k", host_key())
    assert str(anonymous.endpoint) == "agency ag02 (ag02@sftp.example.ma:2222)"


# ---------------------------------------------------------------------------- connection failures
def test_connect_errors_are_typed_and_name_the_endpoint() -> None:
    key = parse_host_key(host_key())
    bad_key = classify_connect_error(paramiko.BadHostKeyException("h", key, key), ENDPOINT)
    unknown = classify_connect_error(
        paramiko.SSHException("Server '[127.0.0.1]:2222' not found in known_hosts"), ENDPOINT)
    refused_key = classify_connect_error(paramiko.AuthenticationException("Authentication failed."), ENDPOINT)
    network = classify_connect_error(TimeoutError("timed out"), ENDPOINT)
    assert type(bad_key) is SftpHostKeyError and "different from the pinned one" in str(bad_key)
    assert type(unknown) is SftpHostKeyError and "refused" in str(unknown)
    assert type(refused_key) is SftpAuthError and "refused our key" in str(refused_key)
    assert type(network) is SftpConnectionError
    assert str(network) == ("cannot open an SFTP session: TimeoutError: timed out "
                            "[agency AG01 (ag01@127.0.0.1:2222)]")
    assert all(e.endpoint == ENDPOINT for e in (bad_key, unknown, refused_key, network))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_connect_to_a_closed_port_is_a_connection_error(tmp_path: Path) -> None:
    params = SftpParams("127.0.0.1", _free_port(), "ag01", tmp_path / "k", host_key(), agency="AG01",
                        timeout=2.0)
    with pytest.raises(SftpConnectionError, match=r"agency AG01 \(ag01@127.0.0.1"), connect(params):
        pass


@contextmanager
def silent_listener() -> Iterator[int]:
    """A TCP port that accepts connections and never says a word (no SSH banner)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen()
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        sock.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(sock.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield int(sock.getsockname()[1])
    finally:
        stop.set()
        thread.join()
        for conn in accepted:
            conn.close()
        sock.close()


def test_a_server_that_never_answers_fails_after_the_timeout(tmp_path: Path) -> None:
    import time

    with silent_listener() as port:
        params = SftpParams("127.0.0.1", port, "ag01", tmp_path / "k", host_key(), timeout=0.5)
        started = time.monotonic()
        with pytest.raises(SftpConnectionError), connect(params):
            pass
        assert time.monotonic() - started < 5


def test_an_unreadable_pinned_key_is_refused_before_connecting(tmp_path: Path) -> None:
    params = SftpParams("127.0.0.1", _free_port(), "ag01", tmp_path / "k", "ssh-ed25519")
    with pytest.raises(ValueError, match="host key must be"), connect(params):
        pass


# ----------------------------------------------------------------------------------- folder rules
def test_list_ready_gives_complete_regular_files_by_name(remote: Path) -> None:
    inbox = remote / "inbox"
    (inbox / "b.csv").write_bytes(b"12345")
    (inbox / "a.csv").write_bytes(b"1")
    (inbox / "a.csv.sha256").write_bytes(b"x")
    (inbox / "c.csv.part").write_bytes(b"partial")
    (inbox / "link.csv").symlink_to(inbox / "b.csv")
    os.utime(inbox / "b.csv", (1_700_000_000, 1_700_000_000))
    ready = client(FolderSession(remote)).list_ready("inbox")
    assert [f.name for f in ready] == ["a.csv", "a.csv.sha256", "b.csv"]  # no folder, .part or link
    assert ready[2] == RemoteFile("b.csv", "inbox/b.csv", 5, 1_700_000_000)


def test_a_folder_that_cannot_be_listed_names_it(remote: Path) -> None:
    session = FolderSession(remote)
    session.fail["listdir_attr"] = EOFError()
    with pytest.raises(SftpTransferError) as info:
        client(session).list_ready("inbox")
    assert info.value.path == "inbox" and "connection dropped (EOFError: no detail)" in str(info.value)


def test_move_never_overwrites_unless_asked(remote: Path) -> None:
    (remote / "inbox" / "a.csv").write_bytes(b"new")
    (remote / "inbox" / "processed" / "a.csv").write_bytes(b"evidence")
    c = client(FolderSession(remote))
    with pytest.raises(SftpTransferError, match="target exists"):
        c.move("inbox/a.csv", "inbox/processed/a.csv")
    assert (remote / "inbox" / "processed" / "a.csv").read_bytes() == b"evidence"
    c.move("inbox/a.csv", "inbox/processed/a.csv", replace=True)
    assert (remote / "inbox" / "processed" / "a.csv").read_bytes() == b"new"
    assert not (remote / "inbox" / "a.csv").exists()
    (remote / "inbox" / "b.csv").write_bytes(b"b")
    c.move("inbox/b.csv", "inbox/processed/b.csv")
    assert (remote / "inbox" / "processed" / "b.csv").read_bytes() == b"b"


def test_a_failed_move_or_remove_is_a_transfer_error_naming_the_path(remote: Path) -> None:
    session = FolderSession(remote)
    session.fail["rename"] = paramiko.SSHException("Socket is closed")
    with pytest.raises(SftpTransferError) as moved:
        client(session).move("inbox/a.csv", "inbox/processed/a.csv")
    assert moved.value.path == "inbox/processed/a.csv"
    assert "connection dropped (SSHException: Socket is closed)" in str(moved.value)
    session.fail["remove"] = PermissionError(13, "Permission denied")
    with pytest.raises(SftpTransferError, match="cannot remove") as removed:
        client(session).remove("inbox/a.csv")
    assert removed.value.path == "inbox/a.csv"


# ------------------------------------------------------------------------------ failed uploads
def test_a_failed_upload_leaves_nothing_under_the_final_name(remote: Path, tmp_path: Path) -> None:
    local = tmp_path / "x.ack.json"
    local.write_text("{}", encoding="utf-8")
    session = FolderSession(remote)
    session.fail["open"] = ConnectionResetError(104, "Connection reset by peer")
    with pytest.raises(SftpUploadError) as info:
        client(session).upload_atomic(local, "inbox/x.ack.json")
    message = str(info.value)
    assert message.startswith("upload failed (connection dropped (ConnectionResetError: ")
    assert "nothing written under the final name [agency AG01 (ag01@127.0.0.1:2222), path inbox/x.ack.json]" \
        in message
    assert ("remove", "inbox/x.ack.json.part") in session.calls
    assert not (remote / "inbox" / "x.ack.json").exists()


def test_a_part_left_by_a_dead_session_is_removed_through_a_fresh_one(remote: Path) -> None:
    dead = FolderSession(remote)
    dead.fail["open"] = EOFError()
    dead.fail["remove"] = EOFError()
    (remote / "inbox" / "x.ack.json.part").write_bytes(b"half")
    fresh = FolderSession(remote)

    @contextmanager
    def reconnect() -> Iterator[FolderSession]:
        yield fresh

    with pytest.raises(SftpUploadError) as info:
        client(dead, reconnect).write_text_atomic("inbox/x.ack.json", "{}")
    assert "could not remove" not in str(info.value)
    assert fresh.calls == [("remove", "inbox/x.ack.json.part")]
    assert not (remote / "inbox" / "x.ack.json.part").exists()


def test_without_a_fresh_session_the_error_says_the_part_may_remain(remote: Path) -> None:
    dead = FolderSession(remote)
    dead.fail["open"] = EOFError()
    dead.fail["remove"] = OSError("Socket is closed")
    with pytest.raises(SftpUploadError) as info:
        client(dead).write_text_atomic("inbox/x.ack.json", "{}")
    assert "could not remove inbox/x.ack.json.part" in str(info.value)
    assert "readers ignore .part files" in str(info.value)
    assert isinstance(info.value, SftpError)

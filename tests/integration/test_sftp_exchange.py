"""The fund and the agencies exchange files through a real SFTP server (the embedded one, on loopback).

The fund publishes with its client (paramiko, host key pinned); agencies fetch and drop files with
the OpenSSH ``sftp`` client in batch mode, as they would in production. Checked: the files an agency
receives match the manifest's sha256, accounts are sealed from each other, faults never leave a
partial file under a final name, and an unknown host key is refused.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path

import pytest

from recouvra.exchange.spec import MAX_FILE_BYTES
from recouvra.sftp.client import connect, sha256_file
from recouvra.sftp.errors import (
    SftpHostKeyError,
    SftpPackageError,
    SftpTransferError,
    SftpUploadError,
)
from recouvra.sftp.keys import ensure_key_pair, public_key_line
from recouvra.standins.sftp_server import (
    EmbeddedSftpServer,
    Limits,
    home_usage,
    start_daemon,
    stop_daemon,
)

pytestmark = [pytest.mark.integration]


def _package(folder: Path, agency: str = "AG01", rows: int = 2000) -> tuple[list[Path], Path]:
    """An assignment package: two CSV files and a manifest listing their sha256."""
    folder.mkdir(parents=True, exist_ok=True)
    assign = folder / f"CNSS_ASSIGN_{agency}_202611_01.csv"
    detail = folder / f"CNSS_DETAIL_{agency}_202611_01.csv"
    assign.write_text(
        "dossier_id;debtor_name;total_due\n"
        + "".join(f"D202611-{i:06d};Société {i};{i * 10}.50\n" for i in range(rows)),
        encoding="utf-8",
    )
    detail.write_text(
        "dossier_id;period;kind;amount_due\n"
        + "".join(f"D202611-{i:06d};2026-0{1 + i % 9};PRINCIPAL;{i}.00\n" for i in range(rows)),
        encoding="utf-8",
    )
    manifest = folder / f"CNSS_ASSIGN_{agency}_202611_01.manifest.json"
    manifest.write_text(json.dumps({
        "spec": "agency-exchange/1", "agency": agency, "month": "2026-11", "seq": 1,
        "files": [{"name": f.name, "sha256": sha256_file(f)[1]} for f in (assign, detail)],
    }), encoding="utf-8")
    return [assign, detail], manifest


def _home(server: EmbeddedSftpServer, agency: str) -> Path:
    return server.account(agency).home


def test_agency_fetches_published_package_and_every_file_matches_manifest(
    sftp_server: EmbeddedSftpServer, agency_sftp, tmp_path: Path
) -> None:
    files, manifest = _package(tmp_path / "fund")
    with connect(sftp_server.params("AG01")) as fund:
        published = fund.publish_package(files, manifest)
        ready = [f.name for f in fund.list_ready("outbox")]
    assert ready == sorted(f.name for f in [*files, manifest])
    # the manifest was written last: a reader that waits for it finds every data file complete
    outbox = _home(sftp_server, "AG01") / "outbox"
    assert published.manifest.path == f"outbox/{manifest.name}"
    assert all(
        (outbox / manifest.name).stat().st_mtime_ns >= (outbox / f.name).stat().st_mtime_ns for f in files
    )

    got = tmp_path / "agency" / "got"
    got.mkdir(parents=True)
    run = agency_sftp("AG01", f"lcd {got}\ncd outbox\nmget *.json\nmget *.csv\nls -la\n")
    assert run.returncode == 0, run.stderr
    assert ".part" not in run.stdout
    doc = json.loads((got / manifest.name).read_text(encoding="utf-8"))
    for entry in doc["files"]:
        data = (got / entry["name"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == entry["sha256"], entry["name"]
    assert sorted(p.name for p in got.iterdir()) == sorted(f.name for f in [*files, manifest])


def test_accounts_are_sealed_from_each_other_and_from_the_host(
    sftp_server: EmbeddedSftpServer, agency_sftp, tmp_path: Path
) -> None:
    secret = _home(sftp_server, "AG01") / "outbox" / "CNSS_ASSIGN_AG01_202611_01.csv"
    secret.write_text("dossier_id\nD1\n", encoding="utf-8")
    outside = tmp_path / "outside.txt"
    outside.write_text("host file\n", encoding="utf-8")
    ag02 = _home(sftp_server, "AG02")
    # links planted on the server's disk, pointing out of AG02's home
    (ag02 / "inbox" / "to_ag01").symlink_to(_home(sftp_server, "AG01"))
    (ag02 / "inbox" / "to_host.txt").symlink_to(outside)

    # wherever it climbs, the agency sees its own two folders and nothing else
    listing = agency_sftp("AG02", "cd /\nls -1a\ncd ..\nls -1a\ncd /../..\nls -1a\npwd\n")
    assert listing.returncode == 0, listing.stderr
    lines = [x.strip() for x in listing.stdout.splitlines() if x.strip() and not x.startswith("sftp>")]
    assert set(lines) == {".", "..", "inbox", "outbox", "Remote working directory: /"}, lines

    dest = tmp_path / "stolen"
    attempts = [
        f"get ../AG01/outbox/{secret.name} {dest}",
        f"get /../AG01/outbox/{secret.name} {dest}",
        f"get ../../home/AG01/outbox/{secret.name} {dest}",
        f"get {secret} {dest}",  # the host's absolute path
        f"get {outside} {dest}",
        f"get inbox/to_ag01/outbox/{secret.name} {dest}",
        f"get inbox/to_host.txt {dest}",
        "ls inbox/to_ag01/outbox",
        "put /etc/hostname ../AG01/outbox/planted.csv",
        "put /etc/hostname inbox/to_ag01/outbox/planted.csv",
        "symlink /etc/passwd inbox/passwd",
        "symlink ../../AG01 inbox/ag01",
    ]
    for batch in attempts:
        run = agency_sftp("AG02", batch + "\n")
        assert run.returncode != 0, f"{batch!r} succeeded: {run.stdout}"
        assert not dest.exists(), batch
    assert not (_home(sftp_server, "AG01") / "outbox" / "planted.csv").exists()
    assert not (ag02 / "AG01").exists()
    assert not (ag02 / "inbox" / "passwd").exists() and not (ag02 / "inbox" / "ag01").exists()
    # a traversal is folded back inside the home: it lands in AG02's own inbox, never AG01's
    run = agency_sftp("AG02", "put /etc/hostname ../../../inbox/x.txt\n")
    assert run.returncode == 0, run.stderr
    assert (ag02 / "inbox" / "x.txt").exists()
    assert not (_home(sftp_server, "AG01") / "inbox" / "x.txt").exists()

    # the fund's client through AG02's account cannot reach AG01's files either
    with connect(sftp_server.params("AG02")) as fund, pytest.raises(SftpTransferError) as err:
        fund.download(f"../AG01/outbox/{secret.name}", tmp_path / "x.csv")
    assert "AG02" in str(err.value)


def test_agency_key_only_opens_its_own_account(sftp_server: EmbeddedSftpServer, tmp_path: Path) -> None:
    from dataclasses import replace

    from recouvra.sftp.errors import SftpAuthError

    wrong = replace(sftp_server.params("AG01"), key_file=sftp_server.account("AG02").key_file)
    with pytest.raises(SftpAuthError), connect(wrong):
        pass


def test_unknown_host_key_is_refused(sftp_server: EmbeddedSftpServer, tmp_path: Path) -> None:
    from dataclasses import replace

    impostor = public_key_line(ensure_key_pair(tmp_path / "other_host_key", comment="impostor"))
    params = replace(sftp_server.params("AG01"), host_key=impostor)
    local = tmp_path / "a.csv"
    local.write_text("x\n", encoding="utf-8")
    with pytest.raises(SftpHostKeyError) as err:
        with connect(params) as fund:
            fund.upload_atomic(local, "outbox/a.csv")
    assert f"127.0.0.1:{sftp_server.port}" in str(err.value) and "AG01" in str(err.value)
    assert list((_home(sftp_server, "AG01") / "outbox").iterdir()) == [
        _home(sftp_server, "AG01") / "outbox" / "acks"
    ]


def _outbox_files(server: EmbeddedSftpServer) -> dict[str, bytes]:
    outbox = _home(server, "AG01") / "outbox"
    return {p.name: p.read_bytes() for p in outbox.iterdir() if p.is_file()}


@pytest.mark.parametrize(
    ("fault", "message"),
    [({"disk_full_after": 100_000}, "No space left on device"), ({"drop_after": 150_000}, "dropped")],
    ids=["disk-full", "connection-dropped"],
)
def test_failed_upload_leaves_nothing_under_the_final_name(
    sftp_server: EmbeddedSftpServer, tmp_path: Path, fault: dict[str, int], message: str
) -> None:
    old = tmp_path / "old.csv"
    old.write_bytes(b"version 1\n")
    new = tmp_path / "new.csv"
    new.write_bytes(os.urandom(600_000))
    with connect(sftp_server.params("AG01")) as fund:
        fund.upload_atomic(old, "outbox/replaced.csv")

    sftp_server.faults.set(**fault)
    for target in ("outbox/fresh.csv", "outbox/replaced.csv"):
        with pytest.raises(SftpUploadError) as err:
            with connect(sftp_server.params("AG01")) as fund:
                fund.upload_atomic(new, target)
        assert message in str(err.value) and target in str(err.value) and "AG01" in str(err.value)
        # never a partial file under its final name; the .part is cleaned up; the old version stands
        assert _outbox_files(sftp_server) == {"replaced.csv": b"version 1\n"}

    sftp_server.faults.clear()
    with connect(sftp_server.params("AG01")) as fund:
        fund.upload_atomic(new, "outbox/replaced.csv")
    assert _outbox_files(sftp_server) == {"replaced.csv": new.read_bytes()}


def _inbox_files(server: EmbeddedSftpServer, agency: str = "AG01") -> dict[str, int]:
    inbox = _home(server, agency) / "inbox"
    return {p.name: p.stat().st_size for p in inbox.iterdir() if p.is_file()}


def test_an_upload_over_the_contracts_largest_file_is_refused_before_it_lands(
    sftp_server: EmbeddedSftpServer, agency_sftp, tmp_path: Path
) -> None:
    """The default cap is the contract's 50 MiB (F005): one byte more is refused by the server, from
    the agency's OpenSSH client and the fund's client alike, and nothing of it stays on the account."""
    big = tmp_path / "AG01_PAYMENTS_20261125_01.csv"
    with big.open("wb") as fh:
        fh.truncate(MAX_FILE_BYTES + 1)  # sparse: 50 MiB of zeros for the clients to send
    part = f"inbox/{big.name}.part"
    run = agency_sftp("AG01", f"put {big} {part}\nrename {part} inbox/{big.name}\n")
    assert run.returncode != 0 and 'write remote "/inbox/' in run.stderr  # OpenSSH shows "Failure"
    assert _inbox_files(sftp_server) == {}  # neither the .part nor a truncated file under any name
    with pytest.raises(SftpUploadError, match=r"File too large: /outbox/x.csv.part would hold more than "
                                              r"52,428,800 bytes, the largest file this account accepts "
                                              r"\(agency-exchange/1: 50 MiB\)") as err:
        with connect(sftp_server.params("AG01")) as fund:
            fund.upload_atomic(big, "outbox/x.csv")
    assert "AG01" in str(err.value) and _outbox_files(sftp_server) == {}
    # exactly the limit is a file the contract accepts
    with big.open("r+b") as fh:
        fh.truncate(MAX_FILE_BYTES)
    run = agency_sftp("AG01", f"put {big} inbox/{big.name}\n")
    assert run.returncode == 0, run.stderr
    assert _inbox_files(sftp_server) == {big.name: MAX_FILE_BYTES}


def test_the_per_file_cap_holds_for_sparse_writes_appends_and_size_changes(
    sftp_server: EmbeddedSftpServer, tmp_path: Path
) -> None:
    sftp_server.limits = Limits(max_file_bytes=100_000)  # read by every new session
    with connect(sftp_server.params("AG01")) as fund:
        raw = fund._sftp  # paramiko, to send what a hostile client could
        with raw.open("inbox/a.csv", "wb") as fh:
            fh.write(b"x" * 100_000)  # up to the cap: fine
        with pytest.raises(OSError, match="File too large: /inbox/a.csv"):
            with raw.open("inbox/a.csv", "ab") as fh:
                fh.write(b"y")  # one byte appended
        with pytest.raises(OSError, match="File too large: /inbox/b.csv"):
            with raw.open("inbox/b.csv", "wb") as fh:
                fh.seek(10**9)
                fh.write(b"z")  # a sparse write far out
        raw.open("inbox/c.csv", "wb").close()
        with pytest.raises(OSError, match="File too large: /inbox/c.csv .* size left as it was"):
            raw.truncate("inbox/c.csv", 10**12)  # setstat size: a hole of a terabyte
        assert _inbox_files(sftp_server) == {"c.csv": 0}  # the refused uploads are gone
        with pytest.raises(OSError, match="File too large: /inbox/c.csv .* file removed"):
            with raw.open("inbox/c.csv", "r+") as fh:
                fh.truncate(100_001)  # fsetstat size, on an open upload: refused like a write
    assert _inbox_files(sftp_server) == {}


def test_an_account_over_its_quota_is_refused_until_it_holds_less(
    sftp_server: EmbeddedSftpServer, agency_sftp, tmp_path: Path
) -> None:
    held = home_usage(_home(sftp_server, "AG01"))
    sftp_server.limits = Limits(max_file_bytes=1_000_000, quota_bytes=held + 1_500_000)
    one = tmp_path / "one.csv"
    one.write_bytes(os.urandom(900_000))
    with connect(sftp_server.params("AG01")) as fund:
        fund.upload_atomic(one, "inbox/AG01_ACTIONS_20261125_01.csv")
    run = agency_sftp("AG01", f"put {one} inbox/AG01_ACTIONS_20261125_02.csv.part\n")
    assert run.returncode != 0
    quota = (r"Disk quota exceeded: the account holds [0-9,]+ bytes and /inbox/AG01_ACTIONS_20261125_02"
             rf"\.csv\.part would add [0-9,]+, beyond its quota of {held + 1_500_000:,} bytes")
    with pytest.raises(SftpUploadError, match=quota):
        with connect(sftp_server.params("AG01")) as fund:
            fund.upload_atomic(one, "inbox/AG01_ACTIONS_20261125_02.csv")
    assert _inbox_files(sftp_server) == {"AG01_ACTIONS_20261125_01.csv": 900_000}
    # another agency's account has its own quota
    with connect(sftp_server.params("AG02")) as fund:
        fund.upload_atomic(one, "inbox/AG02_ACTIONS_20261125_01.csv")
    # once the account holds less (the first file archived), the same upload passes
    (_home(sftp_server, "AG01") / "inbox" / "AG01_ACTIONS_20261125_01.csv").unlink()
    with connect(sftp_server.params("AG01")) as fund:
        fund.upload_atomic(one, "inbox/AG01_ACTIONS_20261125_02.csv")
    assert _inbox_files(sftp_server) == {"AG01_ACTIONS_20261125_02.csv": 900_000}


def test_reupload_replaces_atomically(sftp_server: EmbeddedSftpServer, tmp_path: Path) -> None:
    files, manifest = _package(tmp_path / "v1", rows=10)
    files2, manifest2 = _package(tmp_path / "v2", rows=20)
    with connect(sftp_server.params("AG01")) as fund:
        fund.publish_package(files, manifest)
        fund.publish_package(files2, manifest2)
        assert [f.name for f in fund.list_ready("outbox")] == sorted(f.name for f in [*files2, manifest2])
        sent = {f.name: f.read_bytes() for f in [*files2, manifest2]}
        # a manifest that does not match its files is refused before anything is sent
        (tmp_path / "v2" / files2[0].name).write_text("tampered\n", encoding="utf-8")
        with pytest.raises(SftpPackageError, match="sha256"):
            fund.publish_package(files2, manifest2)
        fund.write_text_atomic("outbox/acks/note.txt", "one")
        fund.write_text_atomic("outbox/acks/note.txt", "two")
    out = _home(sftp_server, "AG01") / "outbox"
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()} == sent
    assert (out / "acks" / "note.txt").read_text() == "two"
    assert not list(out.rglob("*.part"))


def test_return_file_round_trip_inbox_ack_processed(
    sftp_server: EmbeddedSftpServer, agency_sftp, tmp_path: Path
) -> None:
    ret = tmp_path / "AG01_PAYMENTS_20261115_01.csv"
    ret.write_text("dossier_id;payment_id\nD1;P1\n", encoding="utf-8")
    # the agency writes under .part and renames, as the spec asks; one upload is still in flight
    run = agency_sftp(
        "AG01",
        f"put {ret} inbox/{ret.name}.part\nrename inbox/{ret.name}.part inbox/{ret.name}\n"
        f"put {ret} inbox/AG01_ACTIONS_20261115_01.csv.part\n",
    )
    assert run.returncode == 0, run.stderr
    with connect(sftp_server.params("AG01")) as fund:
        ready = fund.list_ready("inbox")
        assert [f.name for f in ready] == [ret.name]  # no .part, no processed/ folder
        got = fund.download(ready[0].path, tmp_path / "fund" / ret.name)
        assert got.sha256 == sha256_file(ret)[1] and got.size == ret.stat().st_size
        stem = ret.name.removesuffix(".csv")
        fund.write_text_atomic(f"outbox/acks/{stem}.ack.json", json.dumps({"status": "ACCEPTED"}))
        fund.move(ready[0].path, f"inbox/processed/{ret.name}")
        assert fund.list_ready("inbox") == []
        # processed files are evidence: moving onto one is refused unless asked
        (_home(sftp_server, "AG01") / "inbox" / ret.name).write_text("again\n", encoding="utf-8")
        with pytest.raises(SftpTransferError, match="target exists"):
            fund.move(f"inbox/{ret.name}", f"inbox/processed/{ret.name}")
    ack_dir = tmp_path / "agency-acks"
    ack_dir.mkdir()
    run = agency_sftp("AG01", f"get outbox/acks/{stem}.ack.json {ack_dir}/\n")
    assert run.returncode == 0, run.stderr
    assert json.loads((ack_dir / f"{stem}.ack.json").read_text())["status"] == "ACCEPTED"


def test_one_connection_serves_a_group_of_operations(sftp_server: EmbeddedSftpServer, tmp_path: Path) -> None:
    files, manifest = _package(tmp_path / "p", rows=50)
    started = time.perf_counter()
    with connect(sftp_server.params("AG01")) as fund:
        fund.publish_package(files, manifest)
        for i in range(10):
            fund.write_text_atomic(f"outbox/acks/{i}.ack.json", "{}")
        assert len(fund.list_ready("outbox/acks")) == 10
    assert time.perf_counter() - started < 10


def test_daemon_serves_until_stopped_by_pid(tmp_path: Path) -> None:
    root = tmp_path / "sftp"
    port = start_daemon(root, ["AG01"])
    try:
        assert start_daemon(root, ["AG01"]) == port  # idempotent: reuses the running server
        assert (root / "server.port").read_text().strip() == str(port)
        server = EmbeddedSftpServer(root, ["AG01"])  # same keys: parameters of the running daemon
        server._port = port
        local = tmp_path / "a.csv"
        local.write_text("x\n", encoding="utf-8")
        with connect(server.params("AG01")) as fund:
            fund.upload_atomic(local, "outbox/a.csv")
        assert (root / "home" / "AG01" / "outbox" / "a.csv").read_text() == "x\n"
    finally:
        assert stop_daemon(root)
    assert not (root / "server.pid").exists() and not (root / "server.port").exists()
    assert stop_daemon(root) is False

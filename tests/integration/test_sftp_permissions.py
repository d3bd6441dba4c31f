"""Folders the fund writes are read-only to the agency, on the embedded server (agency-exchange/1:
``outbox/``, ``outbox/acks/`` and ``inbox/processed/`` are written by the fund, ``inbox/`` by the agency).

The agency logs in with its own key (``ag01``), the fund with the fund's key (``fund-ag01``, the same
home). Every hostile operation an agency's OpenSSH ``sftp`` (or a raw SFTP client) can send is tried
on a home the fund has filled: each is refused with "Permission denied" and leaves every file and
folder of the home as it was; the agency still does all the contract asks of it, and so does the fund.
"""

from __future__ import annotations

import json
import os
import stat
from dataclasses import replace
from pathlib import Path
from typing import Any

import paramiko
import pytest

from recouvra.sftp.client import connect
from recouvra.sftp.errors import SftpAuthError
from recouvra.standins.sftp_server import EmbeddedSftpServer

pytestmark = [pytest.mark.integration]

ASSIGN = "CNSS_ASSIGN_AG01_202611_01.csv"
ACK = "AG01_PAYMENTS_20261115_01.ack.json"
PROCESSED = "AG01_PAYMENTS_20261115_01.csv"
OWN = "AG01_ACTIONS_20261115_01.csv"  # the agency's own file, waiting in inbox/
CREATED = "AG01_CONTACTS_20261115_01.csv"
Snapshot = dict[str, tuple[int, bytes | None, int]]


def snapshot(home: Path) -> Snapshot:
    """Every file and folder under the home: mode, content (files) and mtime."""
    out: Snapshot = {}
    for path in sorted(home.rglob("*")):
        st = path.lstat()
        out[path.relative_to(home).as_posix()] = (
            st.st_mode, path.read_bytes() if path.is_file() else None, st.st_mtime_ns)
    return out


@pytest.fixture()
def filled(sftp_server: EmbeddedSftpServer, agency_sftp: Any, tmp_path: Path) -> Path:
    """AG01's home as the exchange leaves it: a package in outbox/, an ack, a processed file, and a
    file of the agency's own waiting in inbox/. Returns the home."""
    local = tmp_path / "fund"
    local.mkdir()
    (local / ASSIGN).write_text("dossier_id\nD202611-000001\n", encoding="utf-8")
    agency_files = tmp_path / "agency-out"
    agency_files.mkdir()
    for name in (PROCESSED, OWN):
        (agency_files / name).write_text("dossier_id;x\nD202611-000001;1\n", encoding="utf-8")
    run = agency_sftp("AG01", f"put {agency_files / PROCESSED} inbox/\nput {agency_files / OWN} inbox/\n")
    assert run.returncode == 0, run.stderr
    with connect(sftp_server.params("AG01")) as fund:
        fund.upload_atomic(local / ASSIGN, f"outbox/{ASSIGN}")
        fund.write_text_atomic(f"outbox/acks/{ACK}", json.dumps({"status": "ACCEPTED"}))
        fund.move(f"inbox/{PROCESSED}", f"inbox/processed/{PROCESSED}")
    return sftp_server.account("AG01").home


FORGED = "forged.json"
HOSTILE = {
    # writes into the fund's folders, new files or over the fund's
    "put-new-into-outbox": f"put {FORGED} outbox/CNSS_ASSIGN_AG01_202611_02.csv",
    "put-over-fund-package": f"put {FORGED} outbox/{ASSIGN}",
    "put-forged-ack": f"put {FORGED} outbox/acks/AG01_PAYMENTS_20261115_02.ack.json",
    "put-over-fund-ack": f"put {FORGED} outbox/acks/{ACK}",
    "put-part-into-acks": f"put {FORGED} outbox/acks/AG01_PAYMENTS_20261115_02.ack.json.part",
    "put-into-processed": f"put {FORGED} inbox/processed/AG01_PAYMENTS_20261115_02.csv",
    "put-over-processed": f"put {FORGED} inbox/processed/{PROCESSED}",
    "put-at-home-root": f"put {FORGED} planted.csv",
    # removals outside inbox/
    "rm-fund-package": f"rm outbox/{ASSIGN}",
    "rm-fund-ack": f"rm outbox/acks/{ACK}",
    "rm-processed-file": f"rm inbox/processed/{PROCESSED}",
    # renames into or out of inbox/, or among the fund's files (posix-rename, then the legacy one)
    "rename-package-into-inbox": f"rename outbox/{ASSIGN} inbox/{ASSIGN}",
    "rename-ack-away": f"rename outbox/acks/{ACK} outbox/acks/{ACK}.old",
    "rename-processed-back-to-inbox": f"rename inbox/processed/{PROCESSED} inbox/{PROCESSED}",
    "rename-own-into-processed": f"rename inbox/{OWN} inbox/processed/{OWN}",
    "legacy-rename-own-into-processed": f"rename -l inbox/{OWN} inbox/processed/{OWN}",
    "rename-own-into-acks": f"rename inbox/{OWN} outbox/acks/AG01_ACTIONS_20261115_01.ack.json",
    "rename-acks-folder": "rename outbox/acks outbox/acks2",
    "rename-processed-folder": "rename inbox/processed inbox/old",
    "rename-inbox-folder": "rename inbox inbox2",
    # folders
    "mkdir-in-inbox": "mkdir inbox/sub",
    "mkdir-in-acks": "mkdir outbox/acks/sub",
    # permissions and ownership
    "chmod-000-acks": "chmod 000 outbox/acks",
    "chmod-000-outbox": "chmod 000 outbox",
    "chmod-777-package": f"chmod 777 outbox/{ASSIGN}",
    "chmod-000-inbox": "chmod 000 inbox",
    "chmod-000-processed": "chmod 000 inbox/processed",
    "chmod-000-own-file": f"chmod 000 inbox/{OWN}",  # the fund could no longer read it
    "chmod-setuid-own-file": f"chmod 4644 inbox/{OWN}",
    "chown-own-file": f"chown 0 inbox/{OWN}",
    "chgrp-acks": "chgrp 0 outbox/acks",
}


@pytest.mark.parametrize("batch", list(HOSTILE.values()), ids=list(HOSTILE))
def test_an_agency_cannot_change_what_the_fund_writes(
    filled: Path, agency_sftp: Any, tmp_path: Path, batch: str
) -> None:
    (tmp_path / FORGED).write_text(json.dumps({"status": "ACCEPTED", "forged": True}), encoding="utf-8")
    before = snapshot(filled)
    run = agency_sftp("AG01", batch + "\n", cwd=tmp_path)
    assert run.returncode != 0, f"{batch!r} succeeded: {run.stdout}"
    assert "Permission denied" in run.stderr, run.stderr
    assert snapshot(filled) == before


def test_an_agency_cannot_remove_the_funds_folders(
    sftp_server: EmbeddedSftpServer, agency_sftp: Any
) -> None:
    home = sftp_server.account("AG01").home
    before = snapshot(home)  # the four folders, empty: only the rule stops rmdir
    for folder in ("inbox/processed", "outbox/acks"):
        run = agency_sftp("AG01", f"rmdir {folder}\n")
        assert run.returncode != 0 and "Permission denied" in run.stderr, (folder, run.stderr)
    assert snapshot(home) == before


def test_a_raw_client_is_refused_the_same_and_told_which_rule(
    filled: Path, sftp_server: EmbeddedSftpServer, caplog: pytest.LogCaptureFixture
) -> None:
    """What OpenSSH's client never sends, a hostile client can: writes through an open without
    truncation, appends, times and sizes set by path. Each is refused with a message naming the path
    and the rule (the server logs it too); a mode asked at creation keeps the file readable by the fund."""
    before = snapshot(filled)
    ack = f"outbox/acks/{ACK}"
    with connect(sftp_server.agency_params("AG01")) as agency:
        raw = agency._sftp
        for attempt in (
            lambda: raw.open(ack, "r+"),
            lambda: raw.open(ack, "a"),
            lambda: raw.truncate(ack, 0),
            lambda: raw.utime(ack, (0, 0)),
            lambda: raw.chmod(ack, 0o600),
            lambda: raw.chown(ack, 0, 0),
            lambda: raw.posix_rename(f"inbox/{OWN}", ack),
        ):
            with pytest.raises(PermissionError, match=rf"/{ack}: an agency .* fund"):
                attempt()
        with pytest.raises(PermissionError, match="an agency creates and removes no folder"):
            raw.rmdir("outbox/acks")
        # its own file: a mode without owner read and write is refused, the times are its to set
        with pytest.raises(PermissionError, match="keeping owner read and write"):
            raw.chmod(f"inbox/{OWN}", 0o200)
        raw.utime(f"inbox/{OWN}", (1_600_000_000, 1_600_000_000))
        raw.chmod(f"inbox/{OWN}", 0o640)
        # a file created with mode 000 (paramiko sends no mode: ask for one by hand) stays readable
        attrs = paramiko.SFTPAttributes()
        attrs.st_mode = 0
        flags = paramiko.sftp.SFTP_FLAG_WRITE | paramiko.sftp.SFTP_FLAG_CREATE | paramiko.sftp.SFTP_FLAG_TRUNC
        _, msg = raw._request(paramiko.sftp.CMD_OPEN, f"inbox/{CREATED}", flags, attrs)
        raw._request(paramiko.sftp.CMD_CLOSE, msg.get_binary())
    assert stat.S_IMODE(os.stat(filled / "inbox" / CREATED).st_mode) & 0o600 == 0o600

    def funds(snap: Snapshot) -> Snapshot:  # all but inbox/ (the agency's own files came and went)
        return {k: v for k, v in snap.items() if not k.startswith("inbox/AG01_") and k != "inbox"}

    assert funds(snapshot(filled)) == funds(before)
    assert stat.S_IMODE(os.stat(filled / "inbox" / OWN).st_mode) == 0o640
    assert os.stat(filled / "inbox" / OWN).st_mtime == 1_600_000_000
    assert any(f"refused for ag01: Permission denied: /{ack}" in r.getMessage() for r in caplog.records)


def test_the_agency_still_does_its_part_and_the_fund_all_of_its_own(
    filled: Path, sftp_server: EmbeddedSftpServer, agency_sftp: Any, tmp_path: Path
) -> None:
    """The agency's login reads everything and writes inbox/ as the contract says (``.part`` then
    renamed, ``put -p``, its own files replaced or removed); the fund's login, a key of its own, writes
    everywhere in the home; neither key opens the other's login."""
    out = tmp_path / "agency-out"
    name = "AG01_PAYMENTS_20261116_01.csv"
    (out / name).write_text("dossier_id;x\nD202611-000001;2\n", encoding="utf-8")
    os.utime(out / name, (1_600_000_000, 1_600_000_000))
    got = tmp_path / "got"
    got.mkdir()
    run = agency_sftp("AG01", "\n".join([
        f"put -p {out / name} inbox/{name}.part",
        f"rename inbox/{name}.part inbox/{name}",  # posix-rename
        f"put {out / name} inbox/{OWN}.part",
        f"rename -l inbox/{OWN}.part inbox/{OWN}.v2",  # the legacy rename
        f"rm inbox/{OWN}",
        f"rename inbox/{OWN}.v2 inbox/{OWN}",
        f"chmod 644 inbox/{OWN}",
        f"lcd {got}", f"get outbox/{ASSIGN}", f"get outbox/acks/{ACK}", f"get inbox/processed/{PROCESSED}",
        "ls -la inbox outbox outbox/acks inbox/processed",
    ]) + "\n")
    assert run.returncode == 0, run.stderr
    inbox = filled / "inbox"
    assert sorted(p.name for p in inbox.iterdir() if p.is_file()) == sorted([name, OWN])
    assert (inbox / name).stat().st_mtime == 1_600_000_000  # put -p: the times are the agency's to set
    assert sorted(p.name for p in got.iterdir()) == sorted([ASSIGN, ACK, PROCESSED])

    with connect(sftp_server.params("AG01")) as fund:
        assert sftp_server.params("AG01").username == "fund-ag01"
        fund.write_text_atomic(f"outbox/acks/{ACK}", json.dumps({"status": "REJECTED"}))
        fund.move(f"inbox/{name}", f"inbox/processed/{name}")
        fund.remove(f"outbox/{ASSIGN}")
        fund._sftp.chmod("outbox/acks", 0o755)
        fund._sftp.mkdir("outbox/archive")
        fund._sftp.rmdir("outbox/archive")
    assert json.loads((filled / "outbox" / "acks" / ACK).read_text())["status"] == "REJECTED"
    assert (filled / "inbox" / "processed" / name).exists() and not (filled / "outbox" / ASSIGN).exists()

    account = sftp_server.account("AG01")
    for params in (replace(sftp_server.params("AG01"), key_file=account.key_file),  # the agency as the fund
                   replace(sftp_server.agency_params("AG01"), key_file=account.fund_key_file)):
        with pytest.raises(SftpAuthError), connect(params):
            pass

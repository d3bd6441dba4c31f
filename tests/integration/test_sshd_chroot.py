"""The production form of the exchange: Debian's OpenSSH sshd, one chroot per agency, provisioned by
``scripts/sftp-host.sh`` (docs/sftp.md, "Production"), on loopback.

As root, the test provisions two agencies under a fresh root-owned ``/srv/recouvra-test-*`` with user
and group names unique to the run, includes the script's ``sshd-config`` Match blocks in an sshd_config
of its own (host key, port, pid file under tmp), runs ``/usr/sbin/sshd -D`` and proves, with OpenSSH's
own ``sftp`` as the agency and the fund's real client (paramiko, host key pinned) as the fund: the
agency writes ``inbox/`` only, reads everything the fund wrote, cannot touch ``outbox/``,
``outbox/acks/`` or ``inbox/processed/`` (not even the files it sent, once the fund moved them), cannot
leave its chroot nor see another agency; the fund publishes, acknowledges, ingests and moves files.
sshd is stopped by its PID and the users, groups and folders removed afterwards.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import secrets
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from recouvra.ingest import deliver_acks, fetch_inbox, ingest_fetched, spool_dir
from recouvra.sftp.client import SftpParams, connect, sha256_file
from recouvra.sftp.keys import ensure_key_pair, public_key_line
from recouvra.standins.return_samples import return_csv
from recouvra.warehouse import connect as wh_connect
from recouvra.warehouse import migrate_connection

pytestmark = [pytest.mark.integration]

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "sftp-host.sh"
SSHD = Path("/usr/sbin/sshd")
AGENCIES = ("AG01", "AG02")
ASSIGN = "CNSS_ASSIGN_AG01_202611_01.csv"
ACK = "AG01_PAYMENTS_20261115_01.ack.json"
SENT = "AG01_PAYMENTS_20261115_01.csv"  # sent by the agency, moved by the fund to inbox/processed/
OWN = "AG01_ACTIONS_20261115_01.csv"  # sent by the agency, still in inbox/


@dataclass
class SshdHost:
    """A running sshd with the agencies provisioned: how to reach it as either side."""

    base: Path
    prefix: str
    port: int
    host_key: str
    keys: dict[str, Path]  # "fund" and each agency code -> private key
    known_hosts: Path
    log: Path

    def home(self, agency: str) -> Path:
        return self.base / "homes" / agency

    def login(self, agency: str, fund: bool = False) -> str:
        return f"{self.prefix}{'fund-' if fund else ''}{agency.lower()}"

    def fund_params(self, agency: str) -> SftpParams:
        return SftpParams(host="127.0.0.1", port=self.port, username=self.login(agency, fund=True),
                          key_file=self.keys["fund"], host_key=self.host_key, agency=agency)

    def sftp(
        self, agency: str, batch: str, cwd: Path, *, fund: bool = False
    ) -> subprocess.CompletedProcess[str]:
        """OpenSSH ``sftp -b -`` as the agency (or the fund), strict host key checking."""
        key = self.keys["fund" if fund else agency]
        cmd = ["sftp", "-b", "-", "-i", str(key), "-o", f"UserKnownHostsFile={self.known_hosts}",
               "-o", "GlobalKnownHostsFile=/dev/null", "-o", "StrictHostKeyChecking=yes",
               "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes", "-o", "ConnectTimeout=10",
               "-P", str(self.port), f"{self.login(agency, fund)}@127.0.0.1"]
        return subprocess.run(cmd, input=batch, capture_output=True, text=True, timeout=60, cwd=cwd,
                              check=False)


def missing_component(config: pytest.Config, what: str, how: str) -> None:
    """tests/conftest.py's ``missing_component``: skip locally, fail under CI=true."""
    root_conftest = ROOT / "tests" / "conftest.py"
    for plugin in config.pluginmanager.get_plugins():
        if getattr(plugin, "__file__", None) and Path(plugin.__file__).resolve() == root_conftest:
            plugin.missing_component(what, how)
            return
    raise RuntimeError(f"{root_conftest} is not loaded")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_for(proc: subprocess.Popen[bytes], port: int, log: Path) -> None:
    """Until sshd accepts connections on the port (it printed nothing when it fails early)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"sshd exited with {proc.returncode}: {log.read_text(errors='replace')}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"sshd did not listen on 127.0.0.1:{port}: {log.read_text(errors='replace')}")


def _script(*args: str) -> str:
    run = subprocess.run(["bash", str(SCRIPT), *args], capture_output=True, text=True, check=False,
                         timeout=120)
    assert run.returncode == 0, f"sftp-host.sh {' '.join(args)}: {run.stderr}"
    return run.stdout


@pytest.fixture(scope="module")
def sshd_host(tmp_path_factory: pytest.TempPathFactory, pytestconfig: pytest.Config) -> Iterator[SshdHost]:
    for needed, how in ((SSHD.exists(), "apt-get install openssh-server (scripts/system-deps.sh does it "
                                        "as root)"),
                        (shutil.which("sftp") is not None, "apt-get install openssh-client"),
                        (shutil.which("useradd") is not None, "apt-get install passwd")):
        if not needed:
            missing_component(pytestconfig, "OpenSSH's sshd, its sftp client and useradd", how)
    if os.geteuid() != 0:
        missing_component(pytestconfig, "root (system users for the agencies, sshd's ChrootDirectory)",
                          "run the integration tests as root, as CI does")

    tmp = tmp_path_factory.mktemp("sshd")
    keys = {name: ensure_key_pair(tmp / "keys" / f"{name}_ed25519", comment=f"recouvra-test-{name}")
            for name in ("fund", *AGENCIES)}
    host_key = ensure_key_pair(tmp / "ssh_host_ed25519_key", comment="recouvra-test-sshd")
    # A ChrootDirectory's every component must be root-owned and writable by no one else: not /tmp.
    Path("/srv").mkdir(mode=0o755, exist_ok=True)
    run_id = secrets.token_hex(3)
    base = Path(f"/srv/recouvra-test-{run_id}")
    base.mkdir(mode=0o755)
    prefix = f"rt{run_id}-"
    options = ["--base", str(base / "homes"), "--keys", str(base / "keys"), "--prefix", prefix]
    proc: subprocess.Popen[bytes] | None = None
    try:
        _script("provision", *options, "--fund-key", f"{keys['fund']}.pub",
                *[f"{a}={keys[a]}.pub" for a in AGENCIES])
        (tmp / "recouvra-sftp.conf").write_text(_script("sshd-config", *options), encoding="utf-8")
        port = _free_port()
        config = tmp / "sshd_config"
        config.write_text("\n".join([
            "ListenAddress 127.0.0.1", f"Port {port}", f"HostKey {host_key}", f"PidFile {tmp / 'sshd.pid'}",
            "UsePAM no", "PermitRootLogin no", "StrictModes yes", "LogLevel VERBOSE",
            f"AllowGroups {prefix}recouvra-agency {prefix}recouvra-fund",
            "Subsystem sftp internal-sftp",  # a ForceCommand needs the client's subsystem to exist
            f"Include {tmp / 'recouvra-sftp.conf'}", ""]), encoding="utf-8")
        Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)  # Debian's privilege separation folder
        check = subprocess.run([str(SSHD), "-t", "-f", str(config)], capture_output=True, text=True,
                               check=False)
        assert check.returncode == 0, check.stderr
        log = tmp / "sshd.log"  # absolute: sshd re-executes itself from / for each connection
        proc = subprocess.Popen([str(SSHD), "-D", "-f", str(config), "-E", str(log)],
                                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        _wait_for(proc, port, log)
        known_hosts = tmp / "known_hosts"
        known_hosts.write_text(f"[127.0.0.1]:{port} {public_key_line(host_key)}\n", encoding="ascii")
        yield SshdHost(base, prefix, port, public_key_line(host_key), keys, known_hosts, log)
    finally:
        if proc is not None:
            proc.terminate()  # by its PID; its sessions end with their connections
            proc.wait(timeout=30)
        subprocess.run(["bash", str(SCRIPT), "remove", *options, *AGENCIES], capture_output=True, check=False)
        shutil.rmtree(base, ignore_errors=True)


def snapshot(home: Path) -> dict[str, tuple[int, int, bytes | None]]:
    """Every file and folder of a home: owner, mode, content."""
    out = {}
    for path in sorted(home.rglob("*")):
        st = path.lstat()
        content = path.read_bytes() if path.is_file() else None
        out[path.relative_to(home).as_posix()] = (st.st_uid, st.st_mode, content)
    return out


@pytest.fixture(scope="module")
def filled(sshd_host: SshdHost, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """AG01's home as the exchange leaves it, every file written over SFTP by its rightful side: a
    package and an ack from the fund, a file the agency sent and the fund moved to inbox/processed/,
    and one the agency sent still waiting in inbox/. Returns the local folder the agency works from."""
    work = tmp_path_factory.mktemp("agency")
    for name in (SENT, OWN):
        (work / name).write_text("dossier_id;x\nD202611-000001;1\n", encoding="utf-8")
    (work / "forged.json").write_text(json.dumps({"status": "ACCEPTED", "forged": True}), encoding="utf-8")
    run = sshd_host.sftp("AG01", f"put {SENT} inbox/{SENT}.part\nrename inbox/{SENT}.part inbox/{SENT}\n"
                                 f"put {OWN} inbox/{OWN}\n", work)
    assert run.returncode == 0, run.stderr
    (work / ASSIGN).write_text("dossier_id\nD202611-000001\n", encoding="utf-8")
    with connect(sshd_host.fund_params("AG01")) as fund:
        fund.upload_atomic(work / ASSIGN, f"outbox/{ASSIGN}")
        fund.write_text_atomic(f"outbox/acks/{ACK}", json.dumps({"status": "ACCEPTED"}))
        fund.download(f"inbox/{SENT}", work / "fund-copy.csv")  # the agency's file, through the group
        fund.move(f"inbox/{SENT}", f"inbox/processed/{SENT}")  # plain rename: no overwrite
    home = sshd_host.home("AG01")
    assert (work / "fund-copy.csv").read_bytes() == (work / SENT).read_bytes()
    assert (home / "inbox" / "processed" / SENT).is_file() and not (home / "inbox" / SENT).exists()
    return work


HOSTILE = {
    "put-new-into-outbox": "put forged.json outbox/CNSS_ASSIGN_AG01_202611_02.csv",
    "put-over-fund-package": f"put forged.json outbox/{ASSIGN}",
    "put-forged-ack": "put forged.json outbox/acks/AG01_PAYMENTS_20261115_02.ack.json",
    "put-over-fund-ack": f"put forged.json outbox/acks/{ACK}",
    "put-into-processed": "put forged.json inbox/processed/AG01_PAYMENTS_20261115_02.csv",
    "put-over-its-processed-file": f"put forged.json inbox/processed/{SENT}",
    "put-at-chroot-root": "put forged.json planted.csv",
    "rm-fund-package": f"rm outbox/{ASSIGN}",
    "rm-fund-ack": f"rm outbox/acks/{ACK}",
    "rm-its-processed-file": f"rm inbox/processed/{SENT}",
    "rename-package-into-inbox": f"rename outbox/{ASSIGN} inbox/{ASSIGN}",
    "rename-ack-away": f"rename outbox/acks/{ACK} outbox/acks/{ACK}.old",
    "rename-processed-back": f"rename inbox/processed/{SENT} inbox/{SENT}",
    "rename-own-into-processed": f"rename inbox/{OWN} inbox/processed/{OWN}",
    "legacy-rename-own-into-processed": f"rename -l inbox/{OWN} inbox/processed/{OWN}",
    "rename-processed-folder": "rename inbox/processed inbox/old",
    "mkdir-in-inbox": "mkdir inbox/sub",
    "rmdir-acks": "rmdir outbox/acks",
    "chmod-000-acks": "chmod 000 outbox/acks",
    "chmod-000-inbox": "chmod 000 inbox",
    "chmod-its-processed-file": f"chmod 644 inbox/processed/{SENT}",  # then rewrite it: refused first
    "chmod-000-own-file": f"chmod 000 inbox/{OWN}",
    "symlink-in-inbox": f"symlink /outbox/{ASSIGN} inbox/link.csv",
    "read-host-file": "get /etc/passwd stolen",
    "climb-out-of-chroot": "get ../../../../etc/passwd stolen",
    "read-another-agency": "ls /AG02",
}


@pytest.mark.parametrize("batch", list(HOSTILE.values()), ids=list(HOSTILE))
def test_an_agency_on_sshd_cannot_touch_what_the_fund_writes_nor_leave_its_chroot(
    sshd_host: SshdHost, filled: Path, batch: str
) -> None:
    before = {a: snapshot(sshd_host.home(a)) for a in AGENCIES}
    run = sshd_host.sftp("AG01", batch + "\n", filled)
    assert run.returncode != 0, f"{batch!r} succeeded: {run.stdout}"
    assert {a: snapshot(sshd_host.home(a)) for a in AGENCIES} == before
    assert not (filled / "stolen").exists()


def test_an_agency_on_sshd_reads_everything_in_its_home_and_writes_its_inbox(
    sshd_host: SshdHost, filled: Path
) -> None:
    """``.part`` then renamed, ``put -p`` (the times are refused, clearly, and the file lands), its own
    pending file replaced by a rename; everything the fund wrote read back; only its home visible."""
    name = "AG01_PAYMENTS_20261116_01.csv"
    (filled / name).write_text("dossier_id;x\nD202611-000001;2\n", encoding="utf-8")
    got = filled / "got"
    got.mkdir(exist_ok=True)
    run = sshd_host.sftp("AG01", "\n".join([
        f"put -p {name} inbox/{name}.part", f"rename inbox/{name}.part inbox/{name}",
        f"put {name} inbox/{OWN}.part", f"rename inbox/{OWN}.part inbox/{OWN}",  # replaces its own file
        f"get outbox/{ASSIGN} got/", f"get outbox/acks/{ACK} got/", f"get inbox/processed/{SENT} got/",
        "ls -1 /",
    ]) + "\n", filled)
    assert run.returncode == 0, run.stderr
    assert "remote fsetstat: Permission denied" in run.stderr  # put -p: the times are not the agency's
    assert sorted(p.name for p in got.iterdir()) == sorted([ASSIGN, ACK, SENT])
    assert json.loads((got / ACK).read_text())["status"] == "ACCEPTED"
    listed = {ln.strip().strip("/") for ln in run.stdout.splitlines()
              if ln.strip() and not ln.startswith("sftp>")}
    assert listed >= {"inbox", "outbox"} and not listed & {"AG01", "AG02", "etc", "srv"}
    inbox = sshd_host.home("AG01") / "inbox"
    assert (inbox / name).read_bytes() == (filled / name).read_bytes()
    assert (inbox / OWN).read_bytes() == (filled / name).read_bytes()
    owner = inbox / name
    assert (owner.stat().st_mode & 0o777, owner.owner(), owner.group()) == (
        0o440, sshd_host.login("AG01"), sshd_host.login("AG01"))  # r--r-----: the fund reads it by its group


def test_the_funds_client_publishes_acknowledges_and_ingests_on_sshd(
    sshd_host: SshdHost, tmp_path: Path
) -> None:
    """The fund's real client as ``fund-ag02``: a package published (``.part``, fsync, verified,
    posix-rename), the agency's return file fetched, ingested, acknowledged and moved to
    inbox/processed/ by the ingestion's own steps; the agency reads all of it and may change none."""
    agency_dir = tmp_path / "agency"
    agency_dir.mkdir()
    name = "AG02_PAYMENTS_20261125_01.csv"
    (agency_dir / name).write_bytes(return_csv(
        ["dossier_id", "payment_id", "payment_date", "amount", "channel", "receipt_ref"],
        [["D202611-000002", "P1", "2026-11-10", "1500.50", "CHEQUE", "R-1"]]))
    run = sshd_host.sftp("AG02", f"put {name} inbox/{name}.part\nrename inbox/{name}.part inbox/{name}\n",
                         agency_dir)
    assert run.returncode == 0, run.stderr

    fund_dir = tmp_path / "fund"
    fund_dir.mkdir()
    package = fund_dir / "CNSS_ASSIGN_AG02_202611_01.csv"
    package.write_text("dossier_id\nD202611-000002\n", encoding="utf-8")
    manifest = fund_dir / "CNSS_ASSIGN_AG02_202611_01.manifest.json"
    manifest.write_text(json.dumps({
        "spec": "agency-exchange/1", "agency": "AG02", "month": "2026-11", "seq": 1,
        "files": [{"name": package.name, "sha256": sha256_file(package)[1]}]}), encoding="utf-8")
    with wh_connect(f"duckdb:///{(tmp_path / 'wh.duckdb').as_posix()}") as wh:
        migrate_connection(wh)
        with connect(sshd_host.fund_params("AG02")) as fund:
            fund.publish_package([package], manifest)
            fetched = fetch_inbox(fund, "AG02", spool_dir(tmp_path / "spool", "AG02", "run1"))
        (group,) = ingest_fetched(wh, [fetched], dt.date(2026, 11, 25))
        with connect(sshd_host.fund_params("AG02")) as fund:
            (delivered,) = deliver_acks(fund, "AG02", group["items"])
    assert delivered["moved_to"] == f"inbox/processed/{name}", delivered

    home = sshd_host.home("AG02")
    assert not (home / "inbox" / name).exists()
    acks = sorted(p.name for p in (home / "outbox" / "acks").iterdir())
    assert "AG02_PAYMENTS_20261125_01.ack.json" in acks, acks
    fund_file = home / "outbox" / package.name
    assert (fund_file.owner(), fund_file.group(), fund_file.stat().st_mode & 0o777) == (
        sshd_host.login("AG02", fund=True), sshd_host.login("AG02"), 0o640)  # rw-r-----: the agency reads

    got = tmp_path / "got"
    got.mkdir()
    run = sshd_host.sftp("AG02", f"lcd {got}\nget outbox/{manifest.name}\nget outbox/{package.name}\n"
                                 "get outbox/acks/AG02_PAYMENTS_20261125_01.ack.json\n"
                                 f"get inbox/processed/{name}\n", agency_dir)
    assert run.returncode == 0, run.stderr
    assert (got / package.name).read_bytes() == package.read_bytes()
    ack = json.loads((got / "AG02_PAYMENTS_20261125_01.ack.json").read_text())
    assert (ack["file"], ack["sha256"]) == (name, sha256_file(agency_dir / name)[1])
    before = snapshot(home)
    for batch in (f"rm inbox/processed/{name}", "rm outbox/acks/AG02_PAYMENTS_20261125_01.ack.json",
                  f"put {name} inbox/processed/{name}"):
        assert sshd_host.sftp("AG02", batch + "\n", agency_dir).returncode != 0, batch
    assert snapshot(home) == before

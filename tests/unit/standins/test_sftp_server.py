"""The embedded SFTP server's setup, outside the server itself (recouvra.standins.sftp_server): keys and
homes, accounts, the daemon's state files, Airflow's connections, simulated faults, upload limits.
The limits enforced by the running server: tests/integration/test_sftp_exchange.py."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from recouvra.config import load_settings
from recouvra.sftp.errors import SftpServerError
from recouvra.sftp.keys import host_key_line
from recouvra.standins.sftp_server import (
    EmbeddedSftpServer,
    Faults,
    Limits,
    accounts_from_settings,
    airflow_connection_env,
    fund_username_for,
    home_usage,
    prepare_root,
    running_port,
    username_for,
)

ROOT = Path(__file__).resolve().parents[3]


def test_prepare_root_creates_private_keys_and_agency_homes(tmp_path: Path) -> None:
    accounts = prepare_root(tmp_path, ["AG01", "AG02"])
    assert [(a.agency, a.username) for a in accounts] == [("AG01", "ag01"), ("AG02", "ag02")]
    keys = tmp_path / "keys"
    assert stat.S_IMODE(keys.stat().st_mode) == 0o700
    for name in ("ssh_host_ed25519_key", "fund_ed25519", "AG01_ed25519", "AG02_ed25519"):
        assert stat.S_IMODE((keys / name).stat().st_mode) == 0o600
        assert (keys / f"{name}.pub").read_text().startswith("ssh-ed25519 ")
    for folder in ("outbox", "outbox/acks", "inbox", "inbox/processed"):
        assert (tmp_path / "home" / "AG02" / folder).is_dir()


def test_airflow_connection_env_for_every_agency(tmp_path: Path) -> None:
    settings = load_settings(
        ROOT / "config" / "recouvra.yaml", environ={"RECOUVRA__STORAGE__SFTP_ROOT": str(tmp_path)}
    )
    env = airflow_connection_env(settings, port=40022)
    assert sorted(env) == sorted(f"AIRFLOW_CONN_{a.sftp_conn_id.upper()}" for a in settings.agencies)
    conn = json.loads(env["AIRFLOW_CONN_SFTP_AG01"])
    assert conn["conn_type"] == "sftp" and conn["host"] == "127.0.0.1" and conn["port"] == 40022
    # the fund's login to AG01's home, with the fund's key: Airflow acts for the fund, never as the agency
    assert conn["login"] == "fund-ag01"
    assert conn["extra"]["key_file"] == str(tmp_path.resolve() / "keys" / "fund_ed25519")
    assert conn["extra"]["host_key"] == host_key_line(tmp_path)
    with pytest.raises(SftpServerError, match="recouvra sftp serve --daemon"):
        airflow_connection_env(settings)  # no port given and no daemon running


def test_faults_disk_quota() -> None:
    faults = Faults()
    assert faults.reserve(10**9)
    faults.set(disk_full_after=100)
    assert faults.reserve(60) and not faults.reserve(60) and faults.reserve(40)
    faults.set(disk_full_after=0)
    assert not faults.reserve(1)
    faults.clear()
    assert faults.reserve(1)


def test_faults_stall_knob_is_set_and_cleared_with_the_others() -> None:
    faults = Faults()
    faults.set(stall_after=65_536)
    assert (faults.stall_after, faults.drop_after, faults.disk_full_after) == (65_536, None, None)
    faults.set(drop_after=10)  # set() replaces every knob
    assert (faults.stall_after, faults.drop_after) == (None, 10)
    faults.set(stall_after=1)
    faults.clear()
    assert faults.stall_after is None


def test_attach_needs_a_running_daemon_and_never_starts_a_second_server(tmp_path: Path) -> None:
    with pytest.raises(SftpServerError, match="recouvra sftp serve --daemon"):
        EmbeddedSftpServer.attach(tmp_path, ["AG01"])
    sleeper = [sys.executable, "-c", "import time; time.sleep(60)", "recouvra.standins.sftp_server"]
    proc = subprocess.Popen(sleeper)
    try:
        cmdline, deadline = Path(f"/proc/{proc.pid}/cmdline"), time.monotonic() + 10
        while b"recouvra.standins.sftp_server" not in cmdline.read_bytes():  # until the child has exec'd
            assert time.monotonic() < deadline, "the sleeper never started"
            time.sleep(0.01)
        (tmp_path / "server.port").write_text("40022\n")
        (tmp_path / "server.pid").write_text(f"{proc.pid}\n")
        server = EmbeddedSftpServer.attach(tmp_path, ["AG01"])
        params = server.params("AG01")
        assert (params.host, params.port, params.agency) == ("127.0.0.1", 40022, "AG01")
        assert params.key_file == server.account("AG01").fund_key_file
        assert params.host_key == server.host_key()
        assert params.username == server.account("AG01").fund_username  # the fund's own login
        with pytest.raises(SftpServerError, match="served by a daemon on port 40022"):
            server.start()
        server.stop()  # leaves the daemon alone
        assert proc.poll() is None
    finally:
        proc.kill()
        proc.wait()


def test_logins_are_the_agency_codes_in_lower_case_unless_given_and_never_shared(tmp_path: Path) -> None:
    assert username_for("AG01") == "ag01" and fund_username_for("AG01") == "fund-ag01"
    accounts = prepare_root(tmp_path, ["AG01", "AG02"], usernames={"AG02": "cabinet.sud"})
    root = tmp_path.resolve()
    # two logins per home: the agency's with its own key, the fund's with the one fund key
    assert [(a.username, a.home, a.public_key, a.fund_username, a.fund_public_key) for a in accounts] == [
        ("ag01", root / "home" / "AG01", root / "keys" / "AG01_ed25519.pub", "fund-ag01",
         root / "keys" / "fund_ed25519.pub"),
        ("cabinet.sud", root / "home" / "AG02", root / "keys" / "AG02_ed25519.pub", "fund-ag02",
         root / "keys" / "fund_ed25519.pub"),
    ]
    with pytest.raises(SftpServerError, match="share an SFTP username"):
        prepare_root(tmp_path, ["AG01", "AG02"], usernames={"AG02": "ag01"})
    with pytest.raises(SftpServerError, match="share an SFTP username"):
        prepare_root(tmp_path, ["AG01", "AG02"], usernames={"AG02": "fund-ag01"})


def test_accounts_from_settings_are_the_configured_agencies_under_sftp_root(tmp_path: Path) -> None:
    settings = load_settings(
        ROOT / "config" / "recouvra.yaml", environ={"RECOUVRA__STORAGE__SFTP_ROOT": str(tmp_path)}
    )
    accounts = accounts_from_settings(settings)
    assert [a.agency for a in accounts] == [a.code for a in settings.agencies]
    assert all(a.key_file.exists() and a.home.parent == tmp_path.resolve() / "home" for a in accounts)


def test_running_port_needs_both_state_files_and_a_live_server_process(tmp_path: Path) -> None:
    assert running_port(tmp_path) is None
    (tmp_path / "server.port").write_text("40022\n")
    (tmp_path / "server.pid").write_text("not a pid\n")
    assert running_port(tmp_path) is None
    # a live process whose command line names the server module stands for the daemon
    sleeper = [sys.executable, "-c", "import time; time.sleep(60)", "recouvra.standins.sftp_server"]
    proc = subprocess.Popen(sleeper)
    try:
        cmdline, deadline = Path(f"/proc/{proc.pid}/cmdline"), time.monotonic() + 10
        while b"recouvra.standins.sftp_server" not in cmdline.read_bytes():  # until the child has exec'd
            assert time.monotonic() < deadline, "the sleeper never started"
            time.sleep(0.01)
        (tmp_path / "server.pid").write_text(f"{proc.pid}\n")
        assert running_port(tmp_path) == 40022
    finally:
        proc.kill()
        proc.wait()
    assert running_port(tmp_path) is None  # a stale pid file is ignored
    (tmp_path / "server.pid").write_text(f"{os.getpid()}\n")
    assert running_port(tmp_path) is None  # a live process that is not the server: a recycled pid


def test_default_limits_follow_the_contracts_largest_file_and_bad_ones_are_refused() -> None:
    assert Limits() == Limits(max_file_bytes=52_428_800, quota_bytes=20 * 52_428_800)  # 50 MiB, 1 GiB
    for bad in ({"max_file_bytes": 0}, {"quota_bytes": -1}):
        with pytest.raises(SftpServerError, match="positive byte counts"):
            Limits(**bad)


def test_home_usage_counts_every_file_whole_and_no_link(tmp_path: Path) -> None:
    (home,) = (a.home for a in prepare_root(tmp_path, ["AG01"]))
    (home / "inbox" / "a.csv").write_bytes(b"x" * 1000)
    (home / "inbox" / "processed" / "b.csv").write_bytes(b"y" * 234)
    with (home / "outbox" / "sparse.csv").open("wb") as fh:
        fh.truncate(10**9)  # a hole counts whole: it is what a reader of the file would get
    (home / "inbox" / "link.csv").symlink_to(home / "inbox" / "a.csv")
    assert home_usage(home) == 1000 + 234 + 10**9


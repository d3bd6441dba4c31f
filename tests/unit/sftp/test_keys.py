"""Keys, pinned host key and the Airflow connection values of the embedded SFTP exchange (no server)."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from recouvra.config import load_settings
from recouvra.sftp.client import parse_host_key
from recouvra.sftp.errors import SftpServerError
from recouvra.sftp.keys import connection_extras, host_key_line, known_hosts_line
from recouvra.standins.sftp_server import Faults, airflow_connection_env, prepare_root

pytestmark = [pytest.mark.unit]
ROOT = Path(__file__).resolve().parents[3]


def test_prepare_root_creates_private_keys_and_agency_homes(tmp_path: Path) -> None:
    accounts = prepare_root(tmp_path, ["AG01", "AG02"])
    assert [(a.agency, a.username) for a in accounts] == [("AG01", "ag01"), ("AG02", "ag02")]
    keys = tmp_path / "keys"
    assert stat.S_IMODE(keys.stat().st_mode) == 0o700
    for name in ("ssh_host_ed25519_key", "AG01_ed25519", "AG02_ed25519"):
        assert stat.S_IMODE((keys / name).stat().st_mode) == 0o600
        assert (keys / f"{name}.pub").read_text().startswith("ssh-ed25519 ")
    for folder in ("outbox", "outbox/acks", "inbox", "inbox/processed"):
        assert (tmp_path / "home" / "AG02" / folder).is_dir()


def test_host_key_is_generated_once_and_pinned(tmp_path: Path) -> None:
    prepare_root(tmp_path, ["AG01"])
    first = host_key_line(tmp_path)
    prepare_root(tmp_path, ["AG01", "AG03"])  # a later start keeps the key clients pinned
    assert host_key_line(tmp_path) == first
    assert first.startswith("ssh-ed25519 AAAA") and len(first.split()) == 2
    assert parse_host_key(first).get_name() == "ssh-ed25519"
    assert known_hosts_line(tmp_path, "127.0.0.1", 2222) == f"[127.0.0.1]:2222 {first}"
    assert known_hosts_line(tmp_path, "sftp.example.ma", 22) == f"sftp.example.ma {first}"


def test_connection_extras_name_key_file_and_pinned_host_key_never_the_key_itself(tmp_path: Path) -> None:
    extras = connection_extras(tmp_path, "AG01")
    assert extras["host_key"] == host_key_line(tmp_path)
    assert Path(extras["key_file"]) == tmp_path / "keys" / "AG01_ed25519"
    assert "PRIVATE KEY" not in json.dumps(extras) and "no_host_key_check" not in extras


def test_airflow_connection_env_for_every_agency(tmp_path: Path) -> None:
    settings = load_settings(
        ROOT / "config" / "recouvra.yaml", environ={"RECOUVRA__STORAGE__SFTP_ROOT": str(tmp_path)}
    )
    env = airflow_connection_env(settings, port=40022)
    assert sorted(env) == sorted(f"AIRFLOW_CONN_{a.sftp_conn_id.upper()}" for a in settings.agencies)
    conn = json.loads(env["AIRFLOW_CONN_SFTP_AG01"])
    assert conn["conn_type"] == "sftp" and conn["host"] == "127.0.0.1" and conn["port"] == 40022
    assert conn["login"] == "ag01"
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

"""Keys, pinned host key and the Airflow connection values of the embedded SFTP exchange (no server)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from recouvra.sftp.client import parse_host_key
from recouvra.sftp.keys import connection_extras, host_key_line, known_hosts_line
from recouvra.standins.sftp_server import prepare_root

pytestmark = [pytest.mark.unit]


def test_host_key_is_generated_once_and_pinned(tmp_path: Path) -> None:
    prepare_root(tmp_path, ["AG01"])
    first = host_key_line(tmp_path)
    prepare_root(tmp_path, ["AG01", "AG03"])  # a later start keeps the key clients pinned
    assert host_key_line(tmp_path) == first
    assert first.startswith("ssh-ed25519 AAAA") and len(first.split()) == 2
    assert parse_host_key(first).get_name() == "ssh-ed25519"
    assert known_hosts_line(tmp_path, "127.0.0.1", 2222) == f"[127.0.0.1]:2222 {first}"
    assert known_hosts_line(tmp_path, "sftp.example.ma", 22) == f"sftp.example.ma {first}"


def test_connection_extras_name_the_funds_key_file_and_pinned_host_key_never_the_key_itself(
    tmp_path: Path,
) -> None:
    prepare_root(tmp_path, ["AG01"])
    extras = connection_extras(tmp_path)
    assert extras["host_key"] == host_key_line(tmp_path)
    assert Path(extras["key_file"]) == tmp_path / "keys" / "fund_ed25519"  # the fund's, never an agency's
    assert "PRIVATE KEY" not in json.dumps(extras) and "no_host_key_check" not in extras

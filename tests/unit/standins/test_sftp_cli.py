"""``recouvra sftp ...`` (recouvra.standins.sftp_cli) without a running server: the Airflow connection
exports, the pinned known_hosts line, stopping a server that is not running."""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import pytest

from recouvra.cli import main
from recouvra.config import load_settings
from recouvra.sftp.keys import host_key_line

CONFIG = Path(__file__).resolve().parents[3] / "config" / "recouvra.yaml"


@pytest.fixture()
def sftp_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("RECOUVRA__STORAGE__SFTP_ROOT", str(tmp_path))
    return tmp_path


def test_env_prints_an_export_per_agency_that_a_shell_reads_back(
    sftp_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--config", str(CONFIG), "sftp", "env", "--port", "40022"]) == 0
    lines = capsys.readouterr().out.splitlines()
    settings = load_settings(CONFIG, environ={})
    assert [line.split("=", 1)[0] for line in lines] == [
        f"export AIRFLOW_CONN_{a.sftp_conn_id.upper()}" for a in settings.agencies]
    name, value = shlex.split(lines[0])[1].split("=", 1)
    assert name == "AIRFLOW_CONN_SFTP_AG01"
    conn = json.loads(value)
    assert (conn["host"], conn["port"], conn["login"]) == ("127.0.0.1", 40022, "fund-ag01")
    assert conn["extra"]["host_key"] == host_key_line(sftp_root)


def test_known_hosts_pins_the_host_key_on_the_given_port(
    sftp_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["--config", str(CONFIG), "sftp", "env", "--port", "40022"])  # creates the keys
    capsys.readouterr()
    assert main(["--config", str(CONFIG), "sftp", "known-hosts", "--port", "2222"]) == 0
    assert capsys.readouterr().out == f"[127.0.0.1]:2222 {host_key_line(sftp_root)}\n"


def test_without_a_running_server_known_hosts_and_env_say_so_and_stop_has_nothing_to_do(
    sftp_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--config", str(CONFIG), "sftp", "known-hosts"]) == 2
    assert "not running: give --port" in capsys.readouterr().err
    assert main(["--config", str(CONFIG), "sftp", "env"]) == 2
    assert "recouvra sftp serve --daemon" in capsys.readouterr().err
    assert main(["--config", str(CONFIG), "sftp", "stop"]) == 0
    assert capsys.readouterr().out == "embedded SFTP server was not running\n"


def test_serve_takes_the_limits_from_its_options() -> None:
    from argparse import Namespace

    from recouvra.standins.sftp_cli import _limits
    from recouvra.standins.sftp_server import Limits

    assert _limits(Namespace(max_file_bytes=None, quota_bytes=None)) == Limits()
    assert _limits(Namespace(max_file_bytes=10, quota_bytes=None)) == Limits(max_file_bytes=10)


def test_serve_takes_the_faults_from_its_options() -> None:
    from argparse import Namespace

    from recouvra.standins.sftp_cli import _faults
    from recouvra.standins.sftp_server import Faults

    none = {"fault_disk_full_after": None, "fault_drop_after": None, "fault_stall_after": None}
    assert _faults(Namespace(**none)) is None
    got = _faults(Namespace(**{**none, "fault_stall_after": 65_536}))
    assert isinstance(got, Faults)
    assert (got.stall_after, got.drop_after, got.disk_full_after) == (65_536, None, None)

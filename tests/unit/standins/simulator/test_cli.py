"""`recouvra simulate-agencies`: its arguments and the errors a user sees for a bad one."""

from __future__ import annotations

import argparse
import datetime as dt
import json
from pathlib import Path

import pytest

from recouvra.standins.simulator import cli


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="recouvra")
    cli.register(parser.add_subparsers(dest="command"))
    return parser


def test_the_command_takes_a_day_and_optional_overrides() -> None:
    args = _parser().parse_args(["simulate-agencies", "--until", "2026-11-30", "--seed", "7",
                                 "--port", "2222", "--sftp-root", "/srv/sftp", "--quiet"])
    assert args.until == dt.date(2026, 11, 30)
    assert (args.seed, args.port, args.sftp_root, args.quiet) == (7, 2222, "/srv/sftp", True)
    assert args.source_url is None
    assert args.handler is cli._cmd_simulate


@pytest.mark.parametrize("text", ["2026-13-01", "30/11/2026", "2026-11", ""])
def test_a_day_that_is_not_yyyy_mm_dd_is_refused_with_the_text(text: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError, match="is not a date YYYY-MM-DD"):
        cli._day(text)


def test_until_is_required(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        _parser().parse_args(["simulate-agencies"])
    assert exc.value.code == 2
    assert "--until" in capsys.readouterr().err


def test_the_agencies_reach_their_homes_through_the_funds_connections(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--agency-keys: host, port and pinned host key from AIRFLOW_CONN_SFTP_AGxx, the agency's own login
    (the fund's without ``fund-``, as scripts/sftp-host.sh names them) and key."""
    from recouvra.config import load_settings
    from recouvra.standins.simulator.run import SimulatorError, params_from_connections

    monkeypatch.setenv("RECOUVRA_DATA_DIR", str(tmp_path / "data"))
    settings = load_settings()
    for a in settings.agencies:
        (tmp_path / f"{a.code}_ed25519").write_text("key", encoding="ascii")
        monkeypatch.setenv(f"AIRFLOW_CONN_{a.sftp_conn_id.upper()}", json.dumps(
            {"conn_type": "sftp", "host": "127.0.0.1", "port": 2222, "login": f"rt1-fund-{a.code.lower()}",
             "extra": {"host_key": "ssh-ed25519 AAAA", "key_file": "/fund/key"}}))
    params = params_from_connections(settings, tmp_path)
    first = params[settings.agencies[0].code]
    assert (first.host, first.port, first.username, first.host_key) == ("127.0.0.1", 2222, "rt1-ag01",
                                                                         "ssh-ed25519 AAAA")
    assert first.key_file == tmp_path / "AG01_ed25519"
    monkeypatch.delenv("AIRFLOW_CONN_SFTP_AG02")
    with pytest.raises(SimulatorError, match="agency AG02: AIRFLOW_CONN_SFTP_AG02 is not set"):
        params_from_connections(settings, tmp_path)

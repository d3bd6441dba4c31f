"""`recouvra simulate-agencies`: its arguments and the errors a user sees for a bad one."""

from __future__ import annotations

import argparse
import datetime as dt

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

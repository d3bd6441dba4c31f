"""``recouvra returns check``: judge a return file exactly as the fund will, before sending it.

Registered by :mod:`recouvra.cli` through ``SUBCOMMAND_MODULES``; importing this module loads only
argparse, the judge is imported when the command runs.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path

from recouvra.errors import RecouvraError


class ReturnsUsageError(RecouvraError):
    """The command cannot judge: the file to check or a fund file given is missing or unreadable."""


def iso_day(text: str) -> dt.date:
    """An argparse type: a day written YYYY-MM-DD, exactly (the other forms Python accepts refused)."""
    try:
        if len(text) != 10:
            raise ValueError
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date YYYY-MM-DD") from None


def _agency_code(text: str) -> str:
    from recouvra.exchange.spec import AGENCY_RE

    if AGENCY_RE.fullmatch(text) is None:
        raise argparse.ArgumentTypeError(f"{text!r} is not an agency code (upper-case letters and digits)")
    return text


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``returns check`` to the ``recouvra`` command line."""
    r = subparsers.add_parser("returns", help="agency return files (agency-exchange/1)")
    rsub = r.add_subparsers(dest="returns_command", required=True)
    c = rsub.add_parser(
        "check",
        help="judge a return file as the fund will and print its acknowledgement (JSON)",
        description=(
            "Validate FILE (and FILE.sha256 when present) against the fund's assignment and recall "
            "files; print one JSON object: the acknowledgement plus the rejected rows. Exit status 0 "
            "whenever the file could be judged, REJECTED included."
        ),
    )
    c.add_argument("file", metavar="FILE", help="the return file, e.g. AG01_PAYMENTS_20261115_01.csv")
    c.add_argument("--agency", required=True, type=_agency_code, metavar="CODE",
                   help="the agency whose account the file is sent to")
    c.add_argument("--assignment", action="append", required=True, default=None, metavar="PATH",
                   help="an assignment file CNSS_ASSIGN_<AGENCY>_<YYYYMM>_<SEQ>.csv (repeat for each)")
    c.add_argument("--recall", action="append", default=None, metavar="PATH",
                   help="a recall file CNSS_RECALL_<AGENCY>_<YYYYMMDD>_<SEQ>.csv (repeat for each)")
    c.add_argument("--notice", action="append", default=None, metavar="PATH",
                   help="a recall notice file CNSS_RECALLNOTICE_<AGENCY>_<YYYYMMDD>_<SEQ>.csv, to judge "
                        "OBJECTIONS against (repeat for each; the fund's default rules)")
    c.add_argument("--as-of", type=iso_day, default=None, metavar="YYYY-MM-DD",
                   help="the judging day (default: today in Africa/Casablanca)")
    c.set_defaults(handler=_cmd_check)


def _cmd_check(args: argparse.Namespace) -> int:
    from zoneinfo import ZoneInfo

    from recouvra.exchange.spec import TIMEZONE
    from recouvra.returns.context import load_context
    from recouvra.returns.history import InMemoryReturnHistory
    from recouvra.returns.judge import judge_file

    path = Path(args.file)
    if not path.is_file():
        raise ReturnsUsageError(f"{path}: no such file")
    context = load_context(
        [Path(p) for p in args.assignment], [Path(p) for p in (args.recall or [])],
        [Path(p) for p in (args.notice or [])],
    )
    now = dt.datetime.now(dt.UTC)
    as_of = args.as_of or now.astimezone(ZoneInfo(TIMEZONE)).date()
    try:
        judgement = judge_file(path, args.agency, context, InMemoryReturnHistory(), as_of, now)
    except OSError as exc:
        raise ReturnsUsageError(f"{path}: cannot read ({exc.strerror or exc})") from exc
    json.dump(judgement.report(), sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0

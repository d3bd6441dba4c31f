"""``recouvra simulate-agencies``: the demo agencies answer the fund's files up to a day.

Only argparse at import time: the handler imports what it needs.
"""

from __future__ import annotations

import datetime as dt
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import argparse


def _day(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        import argparse

        raise argparse.ArgumentTypeError(f"{text!r} is not a date YYYY-MM-DD") from None


def _cmd_simulate(args: argparse.Namespace) -> int:
    from pathlib import Path

    from recouvra.config import load_settings
    from recouvra.standins.simulator import simulate_agencies

    settings = load_settings(args.config)
    report = simulate_agencies(
        settings,
        until=args.until,
        seed=args.seed,
        source_url=args.source_url,
        sftp=Path(args.sftp_root) if args.sftp_root else None,
        port=args.port,
        progress=None if args.quiet else lambda msg: print(msg, file=sys.stderr, flush=True),
    )
    print(report.summary())
    return 0


def register(subparsers: Any) -> None:
    """Add ``simulate-agencies`` to the ``recouvra`` parser."""
    p = subparsers.add_parser(
        "simulate-agencies",
        help="synthetic agencies fetch their files, send return files and pay into the source ledger",
    )
    p.add_argument("--until", type=_day, required=True, help="simulate up to this day (YYYY-MM-DD), included")
    p.add_argument("--seed", type=int, help="random seed (default: simulator.seed)")
    p.add_argument("--source-url", help="SQLAlchemy URL of the fund's source (default: storage.source_url)")
    p.add_argument("--sftp-root", help="embedded SFTP server root (default: storage.sftp_root)")
    p.add_argument("--port", type=int, help="SFTP port (default: the running embedded daemon's)")
    p.add_argument("--quiet", action="store_true", help="no progress lines")
    p.set_defaults(handler=_cmd_simulate)

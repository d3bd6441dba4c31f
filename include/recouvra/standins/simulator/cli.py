"""``recouvra simulate-agencies``: the demo agencies answer the fund's files up to a day.

It reaches the fund the way the pipeline does: the source is ``AIRFLOW_CONN_RECOUVRA_SOURCE`` (the
configuration's ``storage.source_conn_id``) when that variable is set, and with ``--agency-keys`` each
agency's SFTP home is found from the fund's connection to it (``AIRFLOW_CONN_SFTP_AG01``...: host, port,
pinned host key), the agency logging in as the fund's login without ``fund-`` (``scripts/sftp-host.sh``
names them so: ``fund-ag01`` / ``ag01``) with its key ``<DIR>/<AGENCY>_ed25519``. Without them: the
configuration's embedded source and embedded SFTP server.

Only argparse at import time: the handler imports what it needs.
"""

from __future__ import annotations

import datetime as dt
import os
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
    from recouvra.connections import database_url
    from recouvra.standins.simulator import simulate_agencies

    settings = load_settings(args.config)
    source_url = args.source_url or database_url(settings.storage.source_conn_id, "") or None
    sftp: Any = Path(args.sftp_root) if args.sftp_root else None
    agency_keys = args.agency_keys or os.environ.get("RECOUVRA_AGENCY_KEYS")
    if agency_keys:
        from recouvra.standins.simulator.run import params_from_connections

        sftp = params_from_connections(settings, Path(agency_keys))
    report = simulate_agencies(
        settings,
        until=args.until,
        seed=args.seed,
        source_url=source_url,
        sftp=sftp,
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
    p.add_argument("--source-url", help="SQLAlchemy URL of the fund's source (default: "
                                        "AIRFLOW_CONN_RECOUVRA_SOURCE when set, else storage.source_url)")
    p.add_argument("--agency-keys", help="the agencies' private keys (<DIR>/<AGENCY>_ed25519): reach each "
                                         "home through the fund's connection AIRFLOW_CONN_<SFTP_CONN_ID> "
                                         "(default: $RECOUVRA_AGENCY_KEYS)")
    p.add_argument("--sftp-root", help="embedded SFTP server root (default: storage.sftp_root)")
    p.add_argument("--port", type=int, help="SFTP port (default: the running embedded daemon's)")
    p.add_argument("--quiet", action="store_true", help="no progress lines")
    p.set_defaults(handler=_cmd_simulate)

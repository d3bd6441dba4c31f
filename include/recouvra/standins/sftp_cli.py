"""``recouvra sftp ...``: run the embedded SFTP server and hand its connections to Airflow.

``serve [--daemon] [--max-file-bytes N] [--quota-bytes N]`` starts it (daemon: detached,
``server.pid``/``server.port`` under sftp_root, idempotent; each account's upload limits), ``stop``
ends it by its PID, ``env`` prints ``export AIRFLOW_CONN_...`` lines for every agency
(``eval "$(recouvra sftp env)"``), ``known-hosts`` prints the pinned line for OpenSSH clients.
Only argparse at import time: the handlers import what they need.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import argparse


def _settings(args: argparse.Namespace) -> Any:
    from recouvra.config import load_settings

    return load_settings(args.config)


def _faults(args: argparse.Namespace) -> Any:
    from recouvra.standins.sftp_server import Faults

    knobs = {"disk_full_after": args.fault_disk_full_after, "drop_after": args.fault_drop_after,
             "stall_after": args.fault_stall_after}
    if all(v is None for v in knobs.values()):
        return None
    return Faults(**knobs)


def _limits(args: argparse.Namespace) -> Any:
    from recouvra.standins.sftp_server import Limits

    given = {k: v for k, v in (("max_file_bytes", args.max_file_bytes), ("quota_bytes", args.quota_bytes))
             if v is not None}
    return Limits(**given)


def _cmd_serve(args: argparse.Namespace) -> int:
    from recouvra.standins.sftp_server import serve_forever, sftp_root, start_daemon

    settings = _settings(args)
    root = sftp_root(settings)
    agencies = [a.code for a in settings.agencies]
    limits = _limits(args)
    if args.daemon:
        port = start_daemon(root, agencies, port=args.port, faults=_faults(args), limits=limits)
        print(f"embedded SFTP server on 127.0.0.1:{port} (root {root}; stop: recouvra sftp stop)")
        return 0
    serve_forever(root, agencies, port=args.port, faults=_faults(args), limits=limits)
    return 0


def _cmd_stop(args: argparse.Namespace) -> int:
    from recouvra.standins.sftp_server import sftp_root, stop_daemon

    root = sftp_root(_settings(args))
    print("embedded SFTP server stopped" if stop_daemon(root) else "embedded SFTP server was not running")
    return 0


def _cmd_env(args: argparse.Namespace) -> int:
    import shlex

    from recouvra.standins.sftp_server import airflow_connection_env

    for name, value in airflow_connection_env(_settings(args), port=args.port).items():
        print(f"export {name}={shlex.quote(value)}")
    return 0


def _cmd_known_hosts(args: argparse.Namespace) -> int:
    from recouvra.sftp.keys import known_hosts_line
    from recouvra.standins.sftp_server import HOST, running_port, sftp_root

    root = sftp_root(_settings(args))
    port = args.port or running_port(root)
    if port is None:
        from recouvra.sftp.errors import SftpServerError

        raise SftpServerError("the embedded SFTP server is not running: give --port")
    print(known_hosts_line(root, HOST, port))
    return 0


def register(subparsers: Any) -> None:
    """Add ``sftp`` and its subcommands to the ``recouvra`` parser."""
    p = subparsers.add_parser("sftp", help="embedded SFTP server of the agency exchange")
    sub = p.add_subparsers(dest="sftp_command", required=True)

    s = sub.add_parser("serve", help="run the embedded SFTP server (one chrooted account per agency)")
    s.add_argument("--daemon", action="store_true", help="detach; write server.pid and server.port")
    s.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: a free one)")
    s.add_argument("--fault-disk-full-after", type=int, metavar="BYTES",
                   help="debug: writes fail with 'No space left on device' after BYTES")
    s.add_argument("--fault-drop-after", type=int, metavar="BYTES",
                   help="debug: cut a connection after it wrote BYTES")
    s.add_argument("--fault-stall-after", type=int, metavar="BYTES",
                   help="debug: a session hangs, never answering, once it moved (wrote or read) BYTES")
    s.add_argument("--max-file-bytes", type=int, metavar="BYTES",
                   help="largest file an account may upload (default 52428800: the contract's 50 MiB)")
    s.add_argument("--quota-bytes", type=int, metavar="BYTES",
                   help="most an account's home may hold (default 1073741824: 1 GiB)")
    s.set_defaults(handler=_cmd_serve)

    t = sub.add_parser("stop", help="stop the daemon started by `serve --daemon` (by its PID)")
    t.set_defaults(handler=_cmd_stop)

    e = sub.add_parser("env", help="print export AIRFLOW_CONN_<SFTP_CONN_ID>=... for every agency")
    e.add_argument("--port", type=int, help="port (default: the running daemon's)")
    e.set_defaults(handler=_cmd_env)

    k = sub.add_parser("known-hosts", help="print the pinned known_hosts line of the embedded server")
    k.add_argument("--port", type=int, help="port (default: the running daemon's)")
    k.set_defaults(handler=_cmd_known_hosts)

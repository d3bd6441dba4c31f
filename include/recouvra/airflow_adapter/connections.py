"""The native stack's connection check at start: ``python -m recouvra.airflow_adapter.connections``.

``scripts/stack.sh start`` runs it once the metadata database is migrated, with the environment every
component inherits: each connection the configuration names (:func:`recouvra.connections.needed`) is
looked up as Airflow looks it up (``AIRFLOW_CONN_<ID>``, the secrets backends, the metadata database)
and printed with where it was found, its password never. A missing one stops the start with the
variable to set; ``--embedded-databases`` lets the source and the warehouse fall back to the embedded
files of the configuration (the demo's replay, ``scripts/backfill.sh``).
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import TYPE_CHECKING

from recouvra.connections import ConnectionValue, check, env_var, safe_uri

if TYPE_CHECKING:
    from collections.abc import Sequence


def lookup(conn_id: str) -> str | None:
    """Where Airflow finds the connection and its address (no password), or None when it does not."""
    from airflow.exceptions import AirflowNotFoundException
    from airflow.models.connection import Connection

    try:
        conn = Connection.get_connection_from_secrets(conn_id)
    except AirflowNotFoundException:
        return None
    where = (
        f"from {env_var(conn_id)}"
        if os.environ.get(env_var(conn_id))
        else "from Airflow's secrets backend or metadata database"
    )
    shown = ConnectionValue(
        str(conn.conn_type or ""),
        str(conn.host or ""),
        conn.port,
        str(conn.login or ""),
        schema=str(conn.schema or ""),
    )
    return f"{safe_uri(shown)} ({where})"


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m recouvra.airflow_adapter.connections",
        description="check the connections the pipeline needs",
    )
    p.add_argument(
        "--embedded-databases",
        action="store_true",
        help="the source and warehouse may be the configuration's embedded files",
    )
    args = p.parse_args(argv)
    from recouvra.airflow_adapter.runtime import settings

    result = check(settings(), lookup, embedded_databases=args.embedded_databases)
    for line in result.lines:
        print(f"  {line}")
    for error in result.errors:
        print(f"error: {error}", file=sys.stderr)
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main())

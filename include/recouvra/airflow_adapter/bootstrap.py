"""A stack's metadata database made ready in one process: ``python -m recouvra.airflow_adapter.bootstrap``.

``scripts/stack.sh start`` runs it before any component starts. It does, in order, what three commands
did (``airflow db migrate``, ``airflow pools import``, ``python -m recouvra.airflow_adapter.connections``),
paying Airflow's start-up once instead of three times (about 7 s each on the 2-core machine, a third of
the stack's start):

1. migrate Airflow's metadata database (:func:`airflow.utils.db.upgradedb`, the function behind
   ``airflow db migrate``; a new database is created from the models); its log goes to ``--log``;
2. create or update the pools of :data:`recouvra.operations.POOLS` (idempotent, as ``pools import``);
3. check the connections the configuration needs (:mod:`recouvra.airflow_adapter.connections`):
   ``--connections required`` (production), ``embedded`` (the source and warehouse may be the
   configuration's embedded files) or ``none``.

Exit status 1 when a connection is missing (printed with the variable to set), after the database is
ready, as the former sequence did; 3 when the database could not be migrated (its log says why).
"""

from __future__ import annotations

import argparse
import os
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence


@contextmanager
def _output_to(path: Path | None) -> Iterator[None]:
    """Send this process's stdout and stderr (file descriptors: Airflow's loggers included) to ``path``."""
    if path is None:
        yield
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    with path.open("ab") as log:
        os.dup2(log.fileno(), 1)
        os.dup2(log.fileno(), 2)
        try:
            yield
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])


def migrate() -> None:
    """``airflow db migrate``: the metadata database at the installed Airflow's head revision."""
    from airflow.utils import db
    from airflow.utils.providers_configuration_loader import providers_configuration_loaded

    providers_configuration_loaded(db.upgradedb)()


def create_pools() -> list[str]:
    """The project's pools, created or updated (their slots and descriptions are the configuration's)."""
    from airflow.models.pool import Pool

    from recouvra.operations import POOLS

    for name, (slots, description) in POOLS.items():
        Pool.create_or_update_pool(name=name, slots=slots, description=description, include_deferred=False)
    return [f"{name} ({slots})" for name, (slots, _) in POOLS.items()]


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m recouvra.airflow_adapter.bootstrap",
        description="migrate Airflow's metadata database, create the pools, check the connections",
    )
    p.add_argument("--log", type=Path, help="where the migration's output goes (default: this terminal)")
    p.add_argument(
        "--connections", choices=("required", "embedded", "none"), default="required",
        help="check the connections: required (production), embedded (the source and warehouse may be "
             "the configuration's embedded files), none",
    )
    args = p.parse_args(argv)
    try:
        with _output_to(args.log):
            migrate()
        pools = create_pools()
    except Exception as exc:  # the database is unreachable, a migration failed: stack.sh shows the log
        print(f"error: preparing Airflow's metadata database: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 3
    print(f"  metadata database migrated; pools: {', '.join(pools)}")
    if args.connections == "none":
        print("  connections: not checked (STACK_CONNECTIONS=none)")
        return 0
    from recouvra.airflow_adapter import connections

    print(f"  connections ({args.connections}):")
    return connections.main(["--embedded-databases"] if args.connections == "embedded" else [])


if __name__ == "__main__":
    sys.exit(main())

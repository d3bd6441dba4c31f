"""Loads into a PostgreSQL warehouse against raw COPY, measured in the same run (issue 16, item 3).

Issue 16 asks that loads into PostgreSQL run at no less than 80 % of raw COPY. For each of the lake's
largest tables (its first published snapshot: the full load of a ``make bench`` run), the same rows go
into the same empty work table, shaped as staging shapes it (``staging.<table>`` plus its
``snapshot_date``), by two paths, alternated, ``--repeat`` times each:

- **recouvra**: ``Warehouse.load_arrow``, the path every warehouse load takes (staging, ledger, debtor
  master, marts): the Arrow batches rendered to CSV by pyarrow and streamed through
  ``COPY ... FROM STDIN`` (psycopg 3), in one transaction.
- **raw COPY**: PostgreSQL's own client, ``psql -c "\\copy ... FROM 'file' WITH (FORMAT csv)"``, on
  the same rows rendered to a CSV file before the clock starts: the server's own cost of the load,
  no client-side conversion. This is the ceiling a loader can reach.

The work table is truncated between loads; the ratio is raw COPY's median time over recouvra's (1.0:
as fast as raw COPY). Prints a Markdown table and the line ``pg load <label>: <ratio> of raw COPY``
(the worst table's). Needs a PostgreSQL server (``RECOUVRA_TEST_PG_URL``, default the local one) and
``psql``; the benchmark database is created and dropped.

    .venv/bin/python bench/bench_pg_load.py --lake data/bench-M/run/lake
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterator

    import pyarrow as pa

ROOT = Path(__file__).resolve().parents[1]
PG_ADMIN_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
TABLES = ("declarations", "receivables", "ledger_payments")


def _libpq(url: str) -> str:
    """A SQLAlchemy URL as a libpq one (psycopg and psql)."""
    from sqlalchemy.engine import make_url

    u = make_url(url)
    return u.set(drivername="postgresql").render_as_string(hide_password=False)


@contextlib.contextmanager
def _database(admin_url: str) -> Iterator[str]:
    import psycopg
    from sqlalchemy.engine import make_url

    name = f"recouvra_bench_load_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(_libpq(admin_url), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(_libpq(admin_url), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _snapshot_rows(lake: Path, table: str, limit: int | None) -> pa.Table:
    """The table's first published snapshot as Arrow, with ``snapshot_date`` as staging loads it."""
    import datetime as dt

    import pyarrow as pa
    import pyarrow.parquet as pq

    from recouvra.extract import published_snapshots

    snaps = published_snapshots(lake, table)
    if not snaps:
        raise SystemExit(f"{lake}: no published snapshot of {table}; run `make bench` first")
    snap = snaps[0]
    data = pa.concat_tables([pq.read_table(f"{snap.path}/{f}") for f in snap.files])
    if limit is not None:
        data = data.slice(0, limit)
    day = dt.date.fromisoformat(snap.snapshot_date)
    return data.append_column("snapshot_date", pa.array([day] * data.num_rows, pa.date32()))


def _time_recouvra(url: str, work: str, data: pa.Table) -> float:
    from recouvra.warehouse import connect

    with connect(url) as wh:
        wh.execute(f"TRUNCATE {work}")
        t0 = time.perf_counter()
        n = wh.load_arrow(work, data)
        took = time.perf_counter() - t0
    assert n == data.num_rows
    return took


def _time_raw(url: str, work: str, columns: str, csv: Path, rows: int) -> float:
    import psycopg

    dsn = _libpq(url)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f"TRUNCATE {work}")
    t0 = time.perf_counter()
    out = subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", dsn, "-c",
                          f"\\copy {work} ({columns}) FROM '{csv}' WITH (FORMAT csv)"],
                         check=True, capture_output=True, text=True)
    took = time.perf_counter() - t0
    with psycopg.connect(dsn, autocommit=True) as conn:
        cur = conn.execute(f"SELECT count(*) FROM {work}")
        got = cur.fetchone()
    if got is None or int(got[0]) != rows:
        raise SystemExit(f"raw COPY loaded {got} rows, expected {rows}: {out.stderr}")
    return took


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--lake", type=Path, default=ROOT / "data" / "bench-M" / "run" / "lake")
    ap.add_argument("--tables", nargs="+", default=list(TABLES))
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--rows", type=int, help="load only the first N rows of each table")
    ap.add_argument("--label", default="", help="a name for the summary line (default: the lake's folder)")
    ap.add_argument("--pg-admin-url", default=os.environ.get("RECOUVRA_TEST_PG_URL", PG_ADMIN_DEFAULT))
    args = ap.parse_args(argv)
    if shutil.which("psql") is None:
        raise SystemExit("psql not found: install PostgreSQL's client (apt install postgresql-client)")

    import pyarrow.csv as pcsv

    from recouvra.warehouse import migrate

    label = args.label or args.lake.parent.parent.name
    results = []
    with _database(args.pg_admin_url) as url, tempfile.TemporaryDirectory() as tmp:
        migrate(url)
        for table in args.tables:
            data = _snapshot_rows(args.lake, table, args.rows)
            work = f"staging.bench_load_{table}"
            import psycopg

            with psycopg.connect(_libpq(url), autocommit=True) as conn:
                conn.execute(f"DROP TABLE IF EXISTS {work}")
                conn.execute(f"CREATE TABLE {work} AS SELECT * FROM staging.{table} WHERE 1 = 0")
            csv = Path(tmp) / f"{table}.csv"
            # Rendered as load_arrow renders it (every non-null value quoted), outside the clock.
            pcsv.write_csv(data, csv, pcsv.WriteOptions(include_header=False, quoting_style="all_valid"))
            columns = ", ".join(f'"{c}"' for c in data.column_names)
            ours, raw = [], []
            for i in range(args.repeat):
                ours.append(_time_recouvra(url, work, data))
                raw.append(_time_raw(url, work, columns, csv, data.num_rows))
                print(f"  {table} run {i + 1}: recouvra {ours[-1]:.2f} s, raw COPY {raw[-1]:.2f} s",
                      file=sys.stderr, flush=True)
            n = data.num_rows
            o, r = statistics.median(ours), statistics.median(raw)
            results.append((table, n, csv.stat().st_size, o, r))

    print(f"\nmachine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"load average {' '.join(f'{v:.1f}' for v in os.getloadavg())}, median of {args.repeat}\n")
    print("| table | rows | CSV (MiB) | recouvra `load_arrow` (s) | rows/s | raw COPY, psql (s) | rows/s "
          "| ratio |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for table, n, size, o, r in results:
        print(f"| {table} | {n:,} | {size / 2**20:,.0f} | {o:.2f} | {n / o:,.0f} | {r:.2f} | {n / r:,.0f} "
              f"| {r / o:.2f} |")
    worst = min(r / o for _, _, _, o, r in results)
    print(f"\npg load {label}: {worst:.2f} of raw COPY")
    return 0


if __name__ == "__main__":
    sys.exit(main())

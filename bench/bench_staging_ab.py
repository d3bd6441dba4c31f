"""Time the staging merge (``recouvra.staging.load_staging``) of a bench run's lake, with whichever code
``PYTHONPATH`` gives: run it with the code before a change and with the code after, then compare the
lines it prints (times and the tables' hash).

    python bench/bench_staging_ab.py prepare data/bench-M/run       # once, after bench_cycle.py --scale M
    PYTHONPATH=/path/to/before/include python bench/bench_staging_ab.py run first before 3
    PYTHONPATH=$PWD/include            python bench/bench_staging_ab.py run first after 3
    PYTHONPATH=...                     python bench/bench_staging_ab.py run steady before|after 3
    PYTHONPATH=$PWD/include            python bench/bench_staging_ab.py run steady nokeys 3 --no-keys

``prepare`` copies the run's lake to ``data/staging-ab/lake`` (manifests pointing at the copy), keeps the
first month's manifests alone in ``data/staging-ab/lake-first`` (their files stay in the copy), migrates
an empty warehouse (``empty.duckdb``) and merges the first month into a copy of it (``first.duckdb``).
``run first`` merges the first month (2026-11-01, the full load) into a copy of the empty warehouse,
``run steady`` the steady month (2026-12-01) into a copy of ``first.duckdb``; ``N`` times, each on a
fresh copy (outside the clock), printing each run's wall and CPU time (``time.process_time``, this
process's user + system) and a hash of every staging table and of ``meta.staging_load`` (its
``loaded_at`` left out), then the medians. Modules are imported before the clock starts. ``--no-keys``
re-creates the staging tables without their primary keys first (outside the clock): what DuckDB's key
indexes cost the merge, measured on code before V034 (which dropped the keys; on a later warehouse
there is none left to drop). ``--pg`` merges into a scratch PostgreSQL
database instead (``RECOUVRA_TEST_PG_URL``'s server, default 127.0.0.1:5432 as postgres; created and
migrated outside the clock, the first month merged first for ``steady``, dropped after); its hash is
PostgreSQL's own (md5 of the rows' text, the load log's ``loaded_at`` left out), to compare PostgreSQL
runs with each other.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import statistics
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Iterator

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "data" / "staging-ab"
FIRST = "2026-11-01"
#: The PostgreSQL server of ``--pg`` (its admin database) and the scratch database created there.
PG_ADMIN_URL = os.environ.get("RECOUVRA_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
PG_DATABASE = "recouvra_staging_ab"


def prepare(run: Path) -> None:
    from recouvra.staging import load_staging
    from recouvra.warehouse import connect, migrate

    shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir(parents=True)
    lake = WORK / "lake"
    shutil.copytree(run / "lake", lake, ignore=shutil.ignore_patterns("_incoming", "_quarantine"))
    for manifest in lake.glob("*/snapshot_date=*/_manifest.json"):
        snap = json.loads(manifest.read_text(encoding="utf-8"))
        snap["path"] = str(manifest.parent)
        manifest.write_text(json.dumps(snap, indent=2, sort_keys=True), encoding="utf-8")
        if snap["snapshot_date"] == FIRST:
            first = WORK / "lake-first" / manifest.parent.relative_to(lake)
            first.mkdir(parents=True)
            shutil.copy2(manifest, first / manifest.name)
    migrate(f"duckdb:///{WORK / 'empty.duckdb'}")
    shutil.copy2(WORK / "empty.duckdb", WORK / "first.duckdb")
    with connect(f"duckdb:///{WORK / 'first.duckdb'}") as wh:
        merged = load_staging(wh, WORK / "lake-first")
    print(f"prepared {WORK}: first month {sum(merged.values()):,} rows merged into first.duckdb")


def run(month: str, label: str, times: int, *, no_keys: bool = False, pg: bool = False) -> None:
    import importlib

    import recouvra

    for heavy in ("pandas", "pyarrow", "pyarrow.parquet", "duckdb"):  # outside the clock
        importlib.import_module(heavy)
    from recouvra.staging import load_staging
    from recouvra.warehouse import connect

    base, lake = {"first": ("empty.duckdb", "lake-first"), "steady": ("first.duckdb", "lake")}[month]
    out = WORK / label
    out.mkdir(exist_ok=True)
    walls, cpus, digests = [], [], set()
    for i in range(times):
        copy = out / "warehouse.duckdb"
        shutil.copy2(WORK / base, copy)
        with (_scratch_postgres(month) if pg else connect(f"duckdb:///{copy}")) as wh:
            if no_keys:
                _drop_keys(wh)
            c0, w0 = time.process_time(), time.perf_counter()
            merged = load_staging(wh, WORK / lake)
            wall, cpu = time.perf_counter() - w0, time.process_time() - c0
            digest = _digest(wh)
        walls.append(wall)
        cpus.append(cpu)
        digests.add(digest)
        print(f"{label} {month} #{i + 1}: {wall:.2f} s wall, {cpu:.2f} s CPU, {sum(merged.values()):,} rows "
              f"merged, tables {digest}", flush=True)
    print(f"{label} {month}: median of {times}: {statistics.median(walls):.2f} s wall, "
          f"{statistics.median(cpus):.2f} s CPU; tables {' '.join(sorted(digests))}; "
          f"code {Path(recouvra.__file__).parent}")


@contextlib.contextmanager
def _scratch_postgres(month: str) -> Iterator[Any]:
    """A fresh PostgreSQL database (:data:`PG_ADMIN_URL`'s server), migrated, the first month merged
    into it first for ``steady`` (outside the clock); dropped after."""
    import psycopg
    from sqlalchemy.engine import make_url

    from recouvra.staging import load_staging
    from recouvra.warehouse import connect, migrate_connection

    admin = make_url(PG_ADMIN_URL)
    dsn = f"host={admin.host} port={admin.port or 5432} user={admin.username} dbname={admin.database}"
    with psycopg.connect(dsn, autocommit=True) as con:
        con.execute(f"DROP DATABASE IF EXISTS {PG_DATABASE} WITH (FORCE)")
        con.execute(f"CREATE DATABASE {PG_DATABASE}")
    try:
        with connect(admin.set(database=PG_DATABASE).render_as_string(hide_password=False)) as wh:
            migrate_connection(wh)
            if month == "steady":
                load_staging(wh, WORK / "lake-first")
            yield wh
    finally:
        with psycopg.connect(dsn, autocommit=True) as con:
            con.execute(f"DROP DATABASE IF EXISTS {PG_DATABASE} WITH (FORCE)")


def _drop_keys(wh: Any) -> None:
    """Every staging table re-created without its primary key (and NOT NULLs), outside the clock: what
    the merge cost without DuckDB's key indexes before V034 dropped them from the schema."""
    from recouvra.lake import TABLES

    for t in TABLES:
        wh.execute(f"CREATE TABLE staging.{t}_nokey AS SELECT * FROM staging.{t}")
        wh.execute(f"DROP TABLE staging.{t}")
        wh.execute(f"ALTER TABLE staging.{t}_nokey RENAME TO {t}")
    wh.execute("CHECKPOINT")


def _digest(wh: Any) -> str:
    """Rows, XOR and sum of DuckDB's row hashes of every staging table and of the load log (order-free)."""
    from recouvra.lake import TABLES

    parts = []
    for table in [f"staging.{t}" for t in TABLES] + ["meta.staging_load"]:
        if wh.dialect == "postgresql":  # md5 of the rows' text, in order: compare PostgreSQL with itself
            cols = ("table_name, snapshot_date, run_id, low_watermark, high_watermark, row_count, "
                    "control_total" if table == "meta.staging_load" else "*")
            parts.append(wh.query(f"SELECT count(*), md5(string_agg(md5(t::text), '' ORDER BY md5(t::text))) "
                                  f"FROM (SELECT {cols} FROM {table}) t")[0])
            continue
        cols = "* EXCLUDE (loaded_at)" if table == "meta.staging_load" else "*"
        parts.append(wh.query(f"SELECT count(*), bit_xor(hash(t)), sum(hash(t)::HUGEINT) "
                              f"FROM (SELECT {cols} FROM {table}) t")[0])
    import hashlib

    return hashlib.sha256(repr(parts).encode()).hexdigest()[:16]


if __name__ == "__main__":
    cmd, *rest = sys.argv[1:]
    if cmd == "prepare":
        prepare(Path(rest[0]))
    else:
        flags = [a for a in rest if a.startswith("--")]
        args = [a for a in rest if not a.startswith("--")]
        run(args[0], args[1], int(args[2]) if len(args) > 2 else 1, no_keys="--no-keys" in flags,
            pg="--pg" in flags)

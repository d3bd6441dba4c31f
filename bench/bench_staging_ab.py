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
indexes cost the merge (a measure, not a proposal of schema).
"""

from __future__ import annotations

import json
import shutil
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "data" / "staging-ab"
FIRST = "2026-11-01"


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


def run(month: str, label: str, times: int, *, no_keys: bool = False) -> None:
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
        with connect(f"duckdb:///{copy}") as wh:
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


def _drop_keys(wh: Any) -> None:
    """Every staging table re-created without its primary key (and NOT NULLs), outside the clock: what
    the merge costs without DuckDB's key indexes (a measure only; the schema keeps them)."""
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
        run(args[0], args[1], int(args[2]) if len(args) > 2 else 1, no_keys="--no-keys" in flags)

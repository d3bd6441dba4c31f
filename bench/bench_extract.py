"""Time one table's extraction (or its source totals) from a seeded source, with whichever code
``PYTHONPATH`` gives: run it once with the code before a change and once after, then compare the lines
it prints and the Parquet files it leaves.

    PYTHONPATH=/path/to/before/include python bench/bench_extract.py SOURCE_URL declarations data/ex-before
    PYTHONPATH=$PWD/include            python bench/bench_extract.py SOURCE_URL declarations data/ex-after
    PYTHONPATH=$PWD/include            python bench/bench_extract.py SOURCE_URL receivables totals
    python bench/bench_extract.py --compare data/ex-before data/ex-after declarations

The arguments the bench's first month gives (``bench/bench_cycle.py``): snapshot date 2026-11-01, high
watermark 2026-11-01 00:00, an empty lake (a full load), the default chunk size. The lake is
``<out>/lake`` (emptied first). Modules are imported before the clock starts; prints wall time, the
process's CPU time (user + system, imports included), rows, rows/s, the money sums and the peak RSS.
``--compare`` checks that two runs wrote the same table (``pyarrow.Table.equals``, schema included).
"""

from __future__ import annotations

import datetime as dt
import resource
import shutil
import sys
import time
from pathlib import Path

DAY = dt.date(2026, 11, 1)
HIGH = dt.datetime(2026, 11, 1)


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _compare(before: Path, after: Path, table: str) -> int:
    import pyarrow.parquet as pq

    files = [sorted((d / "lake" / "_incoming" / "bench" / table).glob("*.parquet")) for d in (before, after)]
    a, b = (pq.read_table(f[0]) for f in files)
    same = a.schema.equals(b.schema, check_metadata=False) and a.equals(b)
    print(f"{table}: {a.num_rows:,} rows vs {b.num_rows:,}; schema {a.schema == b.schema}; equal {same}")
    return 0 if same else 1


def main(argv: list[str]) -> int:
    if argv[0] == "--compare":
        return _compare(Path(argv[1]), Path(argv[2]), argv[3])
    url, table, out = argv[0], argv[1], argv[2]

    from recouvra.extract import FULL_LOAD_LOW, _ts, extract_table, source_totals

    if out == "totals":
        t0, c0 = time.perf_counter(), _cpu()
        totals = source_totals(url, table, _ts(FULL_LOAD_LOW), _ts(HIGH))
        what = f"source_totals {totals}"
    else:
        lake = Path(out) / "lake"
        if lake.exists():
            shutil.rmtree(lake)
        lake.mkdir(parents=True)
        t0, c0 = time.perf_counter(), _cpu()
        snap = extract_table(url, lake, table, DAY, HIGH, "bench")
        what = f"{snap.rows:,} rows, {snap.rows / (time.perf_counter() - t0):,.0f} rows/s, sums {snap.sums}"
    wall, cpu = time.perf_counter() - t0, _cpu() - c0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{table}: {wall:.1f} s wall, {cpu:.1f} s CPU (process {_cpu():.1f} s), {what}, "
          f"peak RSS {peak:.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

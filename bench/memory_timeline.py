"""Where a debtor master build holds its memory: RSS every half second with the innermost frames.

Runs ``build_debtor_master`` once in this process, as its DAG task does, while a thread samples the
process's resident set (``/proc/self/status``) and the ``recouvra`` frames its main thread is in; prints
the build's progress, its report, the peak and the place of the peak, then one line per change of place
(the two innermost frames). The figures of "After the memory work" in ``docs/benchmarks.md`` come from it.

    # first month, on a copy of L's run after load_staging (make bench SCALE=L, stopped there)
    PYTHONPATH=include .venv/bin/python bench/memory_timeline.py \\
        --lake data/bench-L/run/lake --warehouse duckdb:///data/bench-L/run/warehouse.duckdb \\
        --day 2026-11-01 --match-cache data/bench-L/run/match_cache

Linux only (reads ``/proc``). It writes the build into the warehouse and the cache it is given: use copies.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import os
import sys
import threading
import time
import traceback
from pathlib import Path


def _rss_mib() -> int:
    with open(f"/proc/{os.getpid()}/status") as fh:
        for line in fh:
            if line.startswith("VmRSS"):
                return int(line.split()[1]) // 1024
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lake", type=Path, required=True)
    ap.add_argument("--warehouse", required=True, help="warehouse URL (duckdb:///... or postgresql://...)")
    ap.add_argument("--day", type=dt.date.fromisoformat, required=True)
    ap.add_argument("--match-cache", type=Path, default=None)
    ap.add_argument("--every", type=float, default=0.5, help="seconds between samples")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")

    main_id = threading.main_thread().ident
    samples: list[tuple[float, int, str]] = []
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            frame = sys._current_frames().get(main_id or 0)
            stack = traceback.extract_stack(frame) if frame is not None else []
            where = " > ".join(f"{s.name}:{s.lineno}" for s in stack if "recouvra" in s.filename)
            samples.append((time.time(), _rss_mib(), where))
            done.wait(args.every)

    from recouvra.debtor_master import build_debtor_master
    from recouvra.warehouse import connect

    t0 = time.time()
    threading.Thread(target=sample, daemon=True).start()
    with connect(args.warehouse) as wh:
        report = build_debtor_master(
            wh, args.lake, args.day, match_cache=args.match_cache,
            progress=lambda msg: print(f"{time.time() - t0:7.1f} s {_rss_mib():6,} MiB  {msg}", flush=True))
    done.set()
    print(report.summary())
    if not samples:
        return 0
    peak = max(samples, key=lambda s: s[1])
    print(f"wall {time.time() - t0:.1f} s, peak {peak[1]:,} MiB at {peak[2] or '(outside recouvra)'}")
    last: list[str] | None = None
    for t, rss, where in samples:
        place = where.split(" > ")[-2:] if where else []
        if place != last:
            print(f"{t - t0:7.1f} s {rss:6,} MiB  {where}")
            last = place
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Time ``build_debtor_master`` alone on a copy of a bench run folder, with whichever code ``PYTHONPATH``
gives: run it with the code before a change and after, then compare the lines it prints.

    PYTHONPATH=/path/to/before/include python bench/bench_debtor_master.py SNAP 2026-11-01 before
    PYTHONPATH=$PWD/include            python bench/bench_debtor_master.py SNAP 2026-11-01 after
    PYTHONPATH=$PWD/include            python bench/bench_debtor_master.py SNAP 2026-12-01 inc --cache=DIR

``--cache=DIR``: the match cache the month reads (a copy of it: the build rewrites it); ``--full``,
``--retrain``: the build's switches (``recouvra master build --full / --retrain``).

``SNAP`` is a copy of ``data/bench-<SCALE>/run`` taken just before the stage ran in the bench
(``warehouse.duckdb`` and ``lake/``, checkpointed), e.g. one of the bench's first month (2026-11-01) or
steady month (2026-12-01). The warehouse is copied to ``data/dm-<label>/`` first (the snapshot is never
written); the lake is read where it is. Modules are imported before the clock starts. Prints wall time,
the CPU time of the stage (this process and its worker processes, sampled), the report, a hash of each
table the stage writes (its timestamps left out: ``created_at``/``updated_at``, the history's
``valid_from``/``valid_to``) and the peak RSS (the bench's measure: this process and its workers,
sampled).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import shutil
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
from bench_cycle import TreeSampler  # noqa: E402  (the bench's own measure of peak memory)

#: The tables build_debtor_master writes, and the columns hashed (the build's clock left out).
TABLES = {
    "core.dim_debtor": "* EXCLUDE (created_at, updated_at)",
    "core.debtor_history": "* EXCLUDE (valid_from, valid_to)",
    "core.bridge_affiliation_debtor": "*",
    "core.debtor_match_evidence": "*",
    "core.debtor_portfolio": "*",
    "core.debtor_source_golden": "*",
}


def table_hashes(wh: object) -> dict[str, str]:
    """rows:sha256 prefix of each table the stage writes, rows in a fixed order."""
    out = {}
    for table, cols in TABLES.items():
        rows = wh.query(f"SELECT {cols} FROM {table} ORDER BY ALL")  # type: ignore[attr-defined]
        out[table.split(".")[1]] = f"{len(rows)}:{hashlib.sha256(repr(rows).encode()).hexdigest()[:12]}"
    return out


class TreeCpu(TreeSampler):
    """The bench's tree sampler (peak RSS of this process and its descendants), which also keeps the
    CPU time (user + system) of every process of the tree: normalisation workers are children of a
    fork server, which nobody waits for, so ``RUSAGE_CHILDREN`` never sees them."""

    def __init__(self) -> None:
        super().__init__()
        self.cpu: dict[int, float] = {}

    def tree_rss(self) -> int:
        procs = [self._proc]
        with contextlib.suppress(self._psutil.Error):
            procs += self._proc.children(recursive=True)
        for p in procs:
            with contextlib.suppress(self._psutil.Error):
                t = p.cpu_times()
                self.cpu[p.pid] = t.user + t.system
        return super().tree_rss()


def measured(work: Any) -> tuple[Any, float, float, float]:
    """``work()``'s result, wall time (s), CPU time of the process tree (s) and its peak RSS (MiB)."""
    sampler = TreeCpu()
    sampler.tree_rss()
    cpu0 = sum(sampler.cpu.values())
    with sampler:
        t0 = time.perf_counter()
        result = work()
        wall = time.perf_counter() - t0
    return result, wall, sum(sampler.cpu.values()) - cpu0, sampler.peak_bytes / 2**20


def main(argv: list[str]) -> int:
    snap, day, label = Path(argv[0]), dt.date.fromisoformat(argv[1]), argv[2]
    # the match cache of an incremental month (a copy of it is used: the build rewrites it), and the
    # build's switches; none of them given, the call is the one code before the match cache accepted
    options: dict[str, object] = {}
    for arg in argv[3:]:
        if arg.startswith("--cache="):
            options["match_cache"] = Path(arg.split("=", 1)[1])
        elif arg in ("--full", "--retrain"):
            options[{"--full": "full_rebuild", "--retrain": "retrain"}[arg]] = True
        else:
            raise SystemExit(f"unknown option {arg!r} (--cache=DIR, --full, --retrain)")
    work = ROOT / "data" / f"dm-{label}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    copy = work / "warehouse.duckdb"
    shutil.copy2(snap / "warehouse.duckdb", copy)
    cache = options.get("match_cache")
    if isinstance(cache, Path):
        options["match_cache"] = work / "match_cache"
        if cache.exists():
            shutil.copytree(cache, work / "match_cache")

    import importlib

    import recouvra

    for heavy in ("pandas", "pyarrow", "numpy", "rapidfuzz", "recouvra.matching"):  # outside the clock
        importlib.import_module(heavy)
    from recouvra.config import load_settings
    from recouvra.debtor_master import build_debtor_master
    from recouvra.warehouse import connect

    years = load_settings().programme.eligibility.title_limit_years
    with connect(f"duckdb:///{copy}") as wh:
        rep, wall, cpu, peak = measured(lambda: build_debtor_master(
            wh, snap / "lake", day, title_limit_years=years, **options))  # type: ignore[arg-type]
        hashes = table_hashes(wh)
    print(f"{label} build_debtor_master {day}: {wall:.1f} s wall, {cpu:.1f} s CPU (process tree), peak "
          f"RSS {peak:,.0f} MiB (process tree); {rep.summary()}")
    print(f"{label} tables {hashes}")
    print(f"{label} code {Path(recouvra.__file__).parent}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""Time one warehouse stage on a copy of a bench warehouse, with whichever code ``PYTHONPATH`` gives:
run it once with the code before a change and once after, then compare the lines it prints.

    PYTHONPATH=/path/to/before/include python bench/bench_stage_ab.py data/M-final.duckdb reconcile before
    PYTHONPATH=$PWD/include            python bench/bench_stage_ab.py data/M-final.duckdb reconcile after

Stages: ``reconcile`` (run date 2026-12-01, the bench's steady month), ``integrity`` (month
2026-11) and ``ledger``: the steady month's two ledger loads (collections_reconcile's ``load_ledger`` and
payments_weekly's ``load_ledger_before`` of 2026-12-01, over the lake beside the warehouse, as of that day)
on the warehouse as it was before them (the entries first seen on 2026-11-30, the day before the steady
month, deleted first, outside the clock): each load's wall and CPU time are printed, and the hash of
``core.ledger_payment`` after them, which must be the hash of the original warehouse's.

The warehouse is copied to ``data/ab-<label>/`` first (the original is never written); modules are
imported before the clock starts. Prints wall time, the process's CPU time so far (imports
included), what the stage returned, a hash of the reconciliation tables (``core.attribution``,
``core.attribution_kind``, ``core.payment_match``, their timestamps left out) and the peak RSS.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import resource
import shutil
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
TABLES = {
    "core.attribution": "* EXCLUDE (attributed_at)",
    "core.attribution_kind": "*",
    "core.payment_match": "* EXCLUDE (matched_at)",
}


def main(argv: list[str]) -> int:
    src, stage, label = Path(argv[0]), argv[1], argv[2]
    work = ROOT / "data" / f"ab-{label}"
    work.mkdir(parents=True, exist_ok=True)
    copy = work / "warehouse.duckdb"
    shutil.copy2(src, copy)

    import importlib

    import recouvra

    for heavy in ("pandas", "pyarrow"):  # imported lazily by the stages: outside the clock
        importlib.import_module(heavy)
    from recouvra.config import load_settings
    from recouvra.integrity import check_integrity
    from recouvra.lake import open_lake
    from recouvra.ledger import load_ledger, load_ledger_before
    from recouvra.reconcile import reconcile
    from recouvra.warehouse import connect

    order = load_settings().programme.imputation_order
    out: object
    tables = TABLES
    with connect(f"duckdb:///{copy}") as wh:
        if stage == "ledger":
            tables = {"core.ledger_payment": "*"}
            with connect(f"duckdb:///{src}", read_only=True) as original:
                expected = _digest(original, tables)
            wh.execute("DELETE FROM core.ledger_payment WHERE first_seen_on = ?", [dt.date(2026, 11, 30)])
        t0 = time.perf_counter()
        if stage == "ledger":
            steady, out = dt.date(2026, 12, 1), []
            for load in (load_ledger, load_ledger_before):
                c0, w0 = time.process_time(), time.perf_counter()
                with open_lake(src.parent / "lake", as_of=steady) as lake:
                    r = load(wh, lake, steady)
                assert isinstance(out, list)
                out.append((load.__name__, r.entries, r.inserted, r.updated, len(r.skipped),
                            len(r.unlinked_reversals), f"{time.perf_counter() - w0:.2f} s wall",
                            f"{time.process_time() - c0:.2f} s CPU"))
        elif stage == "reconcile":
            r = reconcile(wh, dt.date(2026, 12, 1), imputation_order=order)
            out = (r.ledger_entries, r.agency_payments, r.attributions, r.attributed_amount,
                   len(r.unlinked_reversals))
        elif stage == "integrity":
            out = [str(v) for v in check_integrity(wh, dt.date(2026, 11, 1), imputation_order=order)]
        else:
            raise SystemExit(f"unknown stage {stage!r}: reconcile, integrity or ledger")
        wall = time.perf_counter() - t0
        usage = resource.getrusage(resource.RUSAGE_SELF)
        digest = _digest(wh, tables)
    same = f" (original's: {'same' if digest == expected else expected})" if stage == "ledger" else ""
    print(f"{label} {stage}: {wall:.2f} s wall, process CPU so far {usage.ru_utime + usage.ru_stime:.1f} s, "
          f"returned {out}, tables {digest}{same}, peak RSS {usage.ru_maxrss // 1024} MiB, "
          f"code {Path(recouvra.__file__).parent}")
    return 0


def _digest(wh: Any, tables: dict[str, str]) -> str:
    """The first 16 hex digits of a SHA-256 over the tables' rows, in order."""
    digest = hashlib.sha256()
    for table, cols in tables.items():
        digest.update(repr(wh.query(f"SELECT {cols} FROM {table} ORDER BY ALL")).encode())
    return digest.hexdigest()[:16]


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

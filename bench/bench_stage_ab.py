"""Time one warehouse stage on a copy of a bench warehouse, with whichever code ``PYTHONPATH`` gives:
run it once with the code before a change and once after, then compare the lines it prints.

    PYTHONPATH=/path/to/before/include python bench/bench_stage_ab.py data/M-final.duckdb reconcile before
    PYTHONPATH=$PWD/include            python bench/bench_stage_ab.py data/M-final.duckdb reconcile after

Stages: ``reconcile`` (run date 2026-12-01, the bench's steady month) and ``integrity`` (month
2026-11). The warehouse is copied to ``data/ab-<label>/`` first (the original is never written); modules
are imported before the clock starts. Prints wall time, the process's CPU time so far (imports
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
    from recouvra.reconcile import reconcile
    from recouvra.warehouse import connect

    order = load_settings().programme.imputation_order
    out: object
    with connect(f"duckdb:///{copy}") as wh:
        t0 = time.perf_counter()
        if stage == "reconcile":
            r = reconcile(wh, dt.date(2026, 12, 1), imputation_order=order)
            out = (r.ledger_entries, r.agency_payments, r.attributions, r.attributed_amount,
                   len(r.unlinked_reversals))
        elif stage == "integrity":
            out = [str(v) for v in check_integrity(wh, dt.date(2026, 11, 1), imputation_order=order)]
        else:
            raise SystemExit(f"unknown stage {stage!r}: reconcile or integrity")
        wall = time.perf_counter() - t0
        usage = resource.getrusage(resource.RUSAGE_SELF)
        digest = hashlib.sha256()
        for table, cols in TABLES.items():
            digest.update(repr(wh.query(f"SELECT {cols} FROM {table} ORDER BY ALL")).encode())
    print(f"{label} {stage}: {wall:.2f} s wall, process CPU so far {usage.ru_utime + usage.ru_stime:.1f} s, "
          f"returned {out}, tables {digest.hexdigest()[:16]}, peak RSS {usage.ru_maxrss // 1024} MiB, "
          f"code {Path(recouvra.__file__).parent}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

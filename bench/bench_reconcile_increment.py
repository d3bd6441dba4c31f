"""The incremental reconciliation against a full one, on a bench run's warehouse after its steady month.

    PYTHONPATH=$PWD/include python bench/bench_reconcile_increment.py data/bench-M/run

On a copy of the run's warehouse (``<run>/reconcile-bench.duckdb``, migrated to the code's version),
on the steady month's day (2026-12-01), each timed with the bench's measures (wall, CPU and peak RSS of
the process tree):

1. ``full``: every dossier over the whole ledger the rules can concern (``reconcile(..., full=True)``);
2. ``nothing changed``: the same day again, incrementally;
3. ``returns of N %``: agency payments reported against N % of the dossiers (a payment of the dossier's
   debtor of the same amount, two days later, as a returns file brings), then the day incrementally;
   then the same day in full on a second copy holding the same payments, and the two compared (matches,
   attributions, kinds).

Prints one line per run and a Markdown table for docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
from bench_debtor_master import measured  # noqa: E402  (the bench's measures of CPU and memory)

DAY = dt.date(2026, 12, 1)
TABLES = {"payment_match": "matched_at", "attribution": "attributed_at", "attribution_kind": ""}


def _run(url: str, label: str, full: bool, rows: list[str]) -> dict[str, Any]:
    from recouvra.reconcile import reconcile
    from recouvra.warehouse import connect

    def work() -> Any:
        with connect(url) as wh:
            return reconcile(wh, DAY, full=full)

    report, wall, cpu, peak = measured(work)
    print(f"{label}: {wall:.2f} s wall, {cpu:.2f} s CPU, peak {peak:,.0f} MiB; {report.summary()}",
          flush=True)
    again = "all" if full else f"{report.reconciled_again:,}"
    rows.append(f"| {label} | {report.dossiers:,} | {report.groups:,} | {again} | {wall:.2f} | {cpu:.2f} | "
                f"{peak:,.0f} |")
    return report.as_dict()


def _report_payments(url: str, share: float) -> int:
    """Agency payments against ``share`` of the dossiers: one of each such dossier's debtor's ledger
    payments, reported two days later with its amount (what a returns file brings)."""
    from recouvra.warehouse import connect

    with connect(url) as wh:
        picked = wh.query(
            "SELECT d.dossier_id, d.agency_code, min(l.ledger_payment_id) "
            "FROM core.dossier d JOIN core.ledger_payment l ON l.affiliation_no = d.affiliation_no "
            "WHERE l.kind = 'PAYMENT' AND l.payment_date <= ? AND hash(d.dossier_id) % 1000 < ? "
            "GROUP BY 1, 2 ORDER BY 1", [DAY, int(share * 1000)])
        for n, (dossier, agency, lid) in enumerate(picked):
            wh.execute("INSERT INTO core.agency_payment SELECT ?, ?, ?, payment_date + 2, amount, 'CHEQUE', "
                       "NULL, 1, ? FROM core.ledger_payment WHERE ledger_payment_id = ?",
                       [agency, f"BENCH-{n}", dossier, n + 2, lid])
    return len(picked)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", type=Path, help="a bench run folder (after its steady month)")
    parser.add_argument("--share", type=float, default=0.05, help="share of dossiers with returns (0.05)")
    args = parser.parse_args()
    import recouvra.reconcile  # noqa: F401  (imported before the first measure, which would count it)
    from recouvra.warehouse import connect, migrate_connection

    inc, full = args.run / "reconcile-bench.duckdb", args.run / "reconcile-bench-full.duckdb"
    shutil.copy(args.run / "warehouse.duckdb", inc)
    with connect(f"duckdb:///{inc}") as wh:
        migrate_connection(wh)
    rows = ["| run | dossiers | groups | reconciled again | wall (s) | CPU (s) | peak (MiB) |",
            "|---|---:|---:|---:|---:|---:|---:|"]
    _run(f"duckdb:///{inc}", "full", True, rows)
    _run(f"duckdb:///{inc}", "nothing changed", False, rows)
    shutil.copy(inc, full)
    for url in (f"duckdb:///{inc}", f"duckdb:///{full}"):
        added = _report_payments(url, args.share)
    print(f"{added} agency payments reported against {args.share:.0%} of the dossiers", flush=True)
    label = f"returns of {args.share:.0%}"
    got = _run(f"duckdb:///{inc}", f"{label}, incremental", False, rows)
    want = _run(f"duckdb:///{full}", f"{label}, full", True, rows)
    with connect(f"duckdb:///{inc}") as a, connect(f"duckdb:///{full}") as b:
        for table, stamp in TABLES.items():  # the two runs' "now" differ: timestamps aside
            q = f"SELECT * EXCLUDE ({stamp}) FROM core.{table} ORDER BY ALL" if stamp else \
                f"SELECT * FROM core.{table} ORDER BY ALL"
            assert a.query(q) == b.query(q), f"core.{table} differs between the incremental and the full run"
    for r in (got, want):
        del r["reconciled_again"], r["full"]
    assert got == want, "the reports differ"
    print("incremental and full: the same matches, attributions, kinds and report")
    print("\n".join(rows))


if __name__ == "__main__":
    main()

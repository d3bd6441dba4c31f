"""The incremental debtor master against a full rebuild of the same month, on a bench run's lake.

    PYTHONPATH=$PWD/include python bench/bench_master_increment.py data/bench-M/run

On fresh warehouses (``data/mi-<name of the run's parent>/``), with the code ``PYTHONPATH`` gives:
1. builds the first day (2026-11-01) with a match cache: the whole portfolio, the model trained;
2. builds the next day (2026-12-01) twice from that state: incrementally (the cache's resolution, what
   a steady month does) and as a full rebuild (``--full``), each timed (wall, CPU of the process tree,
   peak RSS of the process tree: the bench's own measures);
3. compares the two months' entities: records whose debtor differs, pair agreement of the incremental
   partition with the full one, and each against the generator's truth (``truth/entities.parquet``)
   where the run has it.

The run folder must hold a lake extracted for both days (``make bench SCALE=...`` leaves one).
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

FIRST, NEXT = dt.date(2026, 11, 1), dt.date(2026, 12, 1)


def _timed(label: str, build: Any) -> tuple[Any, dict[str, float]]:
    report, wall, cpu, peak = measured(build)
    figures = {"wall": wall, "cpu": cpu, "peak": peak}
    print(f"{label}: {wall:.1f} s wall, {cpu:.1f} s CPU, peak {figures['peak']:,.0f} MiB; {report.summary()}",
          flush=True)
    return report, figures


def _entities(url: str) -> Any:
    import pandas as pd

    from recouvra.warehouse import connect

    with connect(url) as wh:
        rows = wh.query("SELECT affiliation_no, debtor_id FROM core.bridge_affiliation_debtor "
                        "WHERE is_current")
    frame = pd.DataFrame(rows, columns=["affiliation_no", "debtor_id"])
    return frame.set_index("affiliation_no")["debtor_id"]


def _canonical(debtor: Any) -> Any:
    """Each record's entity named by its smallest affiliation number: one partition, whatever the ids."""
    import pandas as pd

    frame = debtor.rename("debtor").rename_axis("affiliation_no").reset_index()
    first = frame.groupby("debtor")["affiliation_no"].transform("min")
    return pd.Series(first.to_numpy(), index=debtor.index)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("run", type=Path, help="a bench run folder (lake/, truth/)")
    args = ap.parse_args(argv)
    run: Path = args.run.resolve()

    import importlib

    for heavy in ("pandas", "pyarrow", "numpy", "rapidfuzz", "recouvra.matching"):  # outside the clock
        importlib.import_module(heavy)
    from recouvra.config import load_settings
    from recouvra.debtor_master import build_debtor_master
    from recouvra.matching import pair_metrics
    from recouvra.warehouse import connect, migrate_connection

    years = load_settings().programme.eligibility.title_limit_years
    work = ROOT / "data" / f"mi-{run.parent.name}"
    shutil.rmtree(work, ignore_errors=True)
    (work / "inc").mkdir(parents=True)
    inc_url = f"duckdb:///{work / 'inc' / 'warehouse.duckdb'}"
    with connect(inc_url) as wh:
        migrate_connection(wh)
        _timed(f"{FIRST} full (with cache)", lambda: build_debtor_master(
            wh, run / "lake", FIRST, title_limit_years=years, match_cache=work / "inc" / "cache"))
    shutil.copytree(work / "inc", work / "full")
    full_url = f"duckdb:///{work / 'full' / 'warehouse.duckdb'}"
    figures = {}
    for name, url, full in (("incremental", inc_url, False), ("full rebuild", full_url, True)):
        with connect(url) as wh:
            _, figures[name] = _timed(f"{NEXT} {name}", lambda wh=wh, url=url, full=full: build_debtor_master(
                wh, run / "lake", NEXT, title_limit_years=years, match_cache=Path(url[len("duckdb:///"):]).parent
                / "cache", full_rebuild=full))
    inc, full = _entities(inc_url), _entities(full_url)
    full = full.reindex(inc.index)
    assert full.notna().all(), "the two builds hold other affiliation numbers"
    ci, cf = _canonical(inc), _canonical(full)
    differ = int((ci != cf).sum())
    agree = pair_metrics(cf.astype(str).tolist(), ci.astype(str).tolist())
    print(f"records whose debtor differs between incremental and full rebuild: {differ:,} of {len(inc):,}")
    print(f"incremental against full rebuild, pairs: precision {agree['precision']:.5f}, recall "
          f"{agree['recall']:.5f} ({agree['correct_pairs']:,} of {agree['predicted_pairs']:,} incremental "
          f"pairs, {agree['true_pairs']:,} full-rebuild pairs)")
    truth_file = run / "truth" / "entities.parquet"
    if truth_file.exists():
        import pandas as pd

        truth = pd.read_parquet(truth_file).set_index("affiliation_no")["entity_id"].astype(str)
        common = inc.index.intersection(truth.index)
        for name, part in (("incremental", ci), ("full rebuild", cf)):
            m = pair_metrics(truth.reindex(common).tolist(), part.reindex(common).astype(str).tolist())
            print(f"{name} against the generator's truth ({len(common):,} records): precision "
                  f"{m['precision']:.4f}, recall {m['recall']:.4f}, F1 {m['f1']:.4f}")
    i, f = figures["incremental"], figures["full rebuild"]
    print(f"incremental month: {i['wall']:.1f} s wall ({i['wall'] / f['wall']:.2f} of the full rebuild's "
          f"{f['wall']:.1f} s), {i['cpu']:.1f} s CPU, peak {i['peak']:,.0f} MiB (full: {f['peak']:,.0f} MiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

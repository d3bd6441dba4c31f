"""Time the quality gate (``recouvra.quality.validate_snapshots``) on a bench seed's full-load snapshots,
with whichever code ``PYTHONPATH`` gives: run it once with the code before a change and once after,
then compare the lines it prints (and the verdicts it writes).

    python bench/bench_gate_ab.py prepare data/bench-M/seed/source.db        # once: extract, totals
    python bench/bench_gate_ab.py times10                                    # optional: an L-sized variant
    python bench/bench_gate_ab.py prepare-steady data/bench-M/run            # optional: the steady month
    PYTHONPATH=/path/to/before/include python bench/bench_gate_ab.py run before [x10]
    PYTHONPATH=$PWD/include            python bench/bench_gate_ab.py run after [x10]

``prepare`` extracts the first month (2026-11-01, the full load) of every table as bench_cycle.py does
(``extract_snapshot``) into ``data/gate-ab/m/lake/_incoming/`` and saves the manifests with the
source's totals (``source_totals``, as ``gate_and_publish`` computes them): the gate's inputs, outside
the clock. ``times10`` writes ``data/gate-ab/x10/``: declarations, receivables and ledger_payments ten
times over (keys offset by k * 10**10, so unique), the other tables as they are, totals scaled: about
the rows of scale L. ``prepare-steady`` takes a bench run's folder (after ``bench_cycle.py``, whose
source has lived through November): its steady month's snapshots (2026-12-01, incremental) become this
run's incoming snapshots in ``data/gate-ab/steady/lake/_incoming/``, the first month's employers its
published lake (what the gate's employer check reads), the source totals of their windows taken from
the run's source. ``run`` imports Great Expectations before the clock, then prints wall time, CPU
(user + system, import excluded), peak RSS, and apart GX's own fixed costs (import, ``get_context``,
``build_data_docs``) and the whole-snapshot figures' time; it writes the gate's verdicts, failures and
figures to ``data/gate-ab/<set>/<label>.json`` (``cmp`` them between labels).
"""

from __future__ import annotations

import datetime as dt
import json
import resource
import shutil
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "data" / "gate-ab"
DAY = dt.date(2026, 11, 1)
RUN_ID = "bench__2026-11-01"
BIG = {"declarations": "declaration_id", "receivables": "receivable_id", "ledger_payments": "payment_id"}


def prepare(source_db: Path) -> None:
    from recouvra.extract import source_totals
    from recouvra.lake import TABLES
    from recouvra.portfolio import extract_snapshot

    out = WORK / "m"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    source = out / "source.db"
    shutil.copy2(source_db, source)  # the seed is never written
    url = f"sqlite:///{source}"
    high = dt.datetime.combine(DAY, dt.time())
    snaps = [extract_snapshot(url, out / "lake", t, DAY, high, RUN_ID) for t in TABLES]
    sources = {s["table"]: source_totals(url, s["table"], s["low"], s["high"]) for s in snaps}
    _save(out, snaps, sources)
    print(f"prepared {sum(s['rows'] for s in snaps):,} rows in {out}")


def prepare_steady(run_dir: Path) -> None:
    from recouvra.extract import published_snapshots, source_totals
    from recouvra.lake import TABLES

    out = WORK / "steady"
    shutil.rmtree(out, ignore_errors=True)
    source = out / "source.db"
    out.mkdir(parents=True)
    shutil.copy2(run_dir / "source.db", source)  # the run's source is never written
    url = f"sqlite:///{source}"
    shutil.copytree(run_dir / "lake" / "employers" / f"snapshot_date={DAY.isoformat()}",
                    out / "lake" / "employers" / f"snapshot_date={DAY.isoformat()}")
    snaps, sources = [], {}
    for table in TABLES:
        snap = published_snapshots(run_dir / "lake", table)[-1]
        dst = out / "lake" / "_incoming" / snap.run_id / table
        shutil.copytree(snap.path, dst, ignore=shutil.ignore_patterns("_manifest.json"))
        snaps.append({**{k: v for k, v in vars(snap).items() if k != "frozen"}, "path": str(dst)})
        sources[table] = source_totals(url, table, snap.low, snap.high)
    _save(out, snaps, sources)
    print(f"prepared the steady month ({snaps[0]['snapshot_date']}): {sum(s['rows'] for s in snaps):,} rows "
          f"in {out}")


def times10() -> None:
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    m = json.loads((WORK / "m" / "manifest.json").read_text())
    out = WORK / "x10"
    shutil.rmtree(out, ignore_errors=True)
    snaps, sources = [], {}
    for s in m["snaps"]:
        table, src = s["table"], Path(s["path"]) / s["files"][0]
        dst = out / "lake" / Path(s["path"]).relative_to(WORK / "m" / "lake")
        dst.mkdir(parents=True)
        totals = dict(m["sources"][table])
        if table in BIG:
            pf = pq.ParquetFile(src)
            group = pf.metadata.row_group(0).num_rows
            with pq.ParquetWriter(dst / s["files"][0], pf.schema_arrow, compression="zstd") as w:
                for k in range(10):
                    for b in pf.iter_batches(batch_size=group):
                        cols = list(b.columns)
                        for key in (BIG[table], "reverses_payment_id"):
                            if key in b.schema.names:
                                i = b.schema.get_field_index(key)
                                cols[i] = pc.add(cols[i], k * 10**10)
                        w.write_batch(pa.RecordBatch.from_arrays(cols, schema=b.schema), row_group_size=group)
            totals = {c: v * 10 for c, v in totals.items()}
            s = {**s, "rows": s["rows"] * 10, "sums": {c: v * 10 for c, v in s.get("sums", {}).items()}}
        else:
            shutil.copy2(src, dst / s["files"][0])
        snaps.append({**s, "path": str(dst)})
        sources[table] = totals
    _save(out, snaps, sources)
    print(f"times10: {sum(s['rows'] for s in snaps):,} rows in {out}")


def _save(out: Path, snaps: list[dict[str, Any]], sources: dict[str, Any]) -> None:
    (out / "manifest.json").write_text(json.dumps({"snaps": snaps, "sources": sources}, default=str))


def run(label: str, data_set: str) -> None:
    work = WORK / data_set
    m = json.loads((work / "manifest.json").read_text())
    t = time.perf_counter()
    import great_expectations as gx
    from great_expectations.data_context.data_context.abstract_data_context import AbstractDataContext

    from recouvra import quality
    from recouvra.extract import Snapshot

    fixed = {"import_gx": time.perf_counter() - t}

    def timed(name: str, fn: Any) -> Any:
        def inner(*args: Any, **kwargs: Any) -> Any:
            t = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                fixed[name] = fixed.get(name, 0.0) + time.perf_counter() - t
        return inner

    gx.get_context = timed("get_context", gx.get_context)
    AbstractDataContext.build_data_docs = timed("build_data_docs", AbstractDataContext.build_data_docs)
    quality.snapshot_figures = timed("snapshot_figures", quality.snapshot_figures)  # type: ignore[method-assign]
    docs = work / f"gx-{label}"
    shutil.rmtree(docs, ignore_errors=True)
    before = resource.getrusage(resource.RUSAGE_SELF)
    t = time.perf_counter()
    gate = quality.validate_snapshots([Snapshot(**s) for s in m["snaps"]], work / "lake", m["sources"], docs,
                                      m["snaps"][0]["run_id"])
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    verdicts = {"success": gate.success, "tables": [
        [r.table, r.success, r.failures, {k: str(v) for k, v in r.figures.items()}] for r in gate.tables]}
    (work / f"{label}.json").write_text(json.dumps(verdicts, indent=1))
    rows = sum(s["rows"] for s in m["snaps"])
    print(f"gate {label} on {data_set} ({rows:,} rows): {'PASSED' if gate.success else 'FAILED'}, "
          f"wall {wall:.1f} s, CPU {cpu:.1f} s, peak RSS {after.ru_maxrss / 1024:.0f} MiB; "
          + ", ".join(f"{k} {v:.2f} s" for k, v in fixed.items()))


if __name__ == "__main__":
    cmd, *rest = sys.argv[1:]
    if cmd == "prepare":
        prepare(Path(rest[0]))
    elif cmd == "prepare-steady":
        prepare_steady(Path(rest[0]))
    elif cmd == "times10":
        times10()
    else:
        run(rest[0], rest[1] if len(rest) > 1 else "m")

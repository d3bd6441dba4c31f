"""Benchmark ``recouvra seed``: wall time, peak memory and rows per table, per scale and engine.

Each seed runs in its own subprocess (the real command line, ``--force --quiet``); its peak resident
memory is that process's own ``ru_maxrss`` (from ``os.wait4``), so runs do not contaminate each other.
Rows are counted in the seeded database. Prints a Markdown table for docs/benchmarks.md and JSON.

    .venv/bin/python bench/bench_seed.py --scale S M L                 # SQLite files under --workdir
    .venv/bin/python bench/bench_seed.py --scale S --engine postgresql # scratch database, dropped after
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
TABLES = ("employers", "declarations", "titles", "receivables", "ledger_payments", "payment_plans",
          "plan_installments", "legal_proceedings", "disputes")
PG_ADMIN_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def _pg(url: str) -> Any:
    import psycopg
    from sqlalchemy.engine import make_url

    u = make_url(url)
    return psycopg.connect(host=u.host or "127.0.0.1", port=u.port or 5432, user=u.username or "postgres",
                           password=u.password, dbname=u.database or "postgres", autocommit=True)


def _counts(url: str) -> dict[str, int]:
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return {t: int(conn.execute(sa.text(f"SELECT COUNT(*) FROM {t}")).scalar_one()) for t in TABLES}
    finally:
        engine.dispose()


def run_seed(scale: str, url: str, truth_dir: Path, seed: int) -> dict[str, Any]:
    """One seed in a subprocess: wall seconds, peak RSS (MiB) of that process, rows per table."""
    cmd = [sys.executable, "-m", "recouvra.cli", "seed", "--scale", scale, "--seed", str(seed),
           "--url", url, "--truth-dir", str(truth_dir), "--force", "--quiet"]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    out = proc.stdout.read().decode() if proc.stdout else ""
    err = proc.stderr.read().decode() if proc.stderr else ""
    if proc.returncode != 0:
        raise SystemExit(f"seed failed ({proc.returncode}):\n{out}\n{err}")
    counts = _counts(url)
    total = sum(counts.values())
    return {"scale": scale, "wall_s": round(wall, 1), "peak_rss_mib": round(usage.ru_maxrss / 1024),
            "rows": counts, "total_rows": total, "rows_per_s": round(total / wall), "summary": out.strip()}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scale", nargs="+", default=["S", "M"], help="scales: S, M, L or a number")
    ap.add_argument("--engine", choices=["sqlite", "postgresql"], default="sqlite")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "recouvra-bench")
    ap.add_argument("--pg-admin-url", default=os.environ.get("RECOUVRA_TEST_PG_URL", PG_ADMIN_DEFAULT))
    ap.add_argument("--keep", action="store_true", help="keep the SQLite files")
    args = ap.parse_args(argv)

    args.workdir.mkdir(parents=True, exist_ok=True)
    results = []
    for scale in args.scale:
        truth = args.workdir / f"truth_{scale}"
        if args.engine == "sqlite":
            db = args.workdir / f"source_{scale}.db"
            db.unlink(missing_ok=True)
            res = run_seed(scale, f"sqlite:///{db.as_posix()}", truth, args.seed)
            res["db_size_mib"] = round(db.stat().st_size / 2**20)
            if not args.keep:
                db.unlink(missing_ok=True)
        else:
            from sqlalchemy.engine import make_url

            name = f"recouvra_bench_{uuid.uuid4().hex[:10]}"
            with _pg(args.pg_admin_url) as conn:
                conn.execute(f'CREATE DATABASE "{name}"')
            url = make_url(args.pg_admin_url).set(database=name).render_as_string(hide_password=False)
            try:
                res = run_seed(scale, url, truth, args.seed)
            finally:
                with _pg(args.pg_admin_url) as conn:
                    conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        shutil.rmtree(truth, ignore_errors=True)
        res["engine"] = args.engine
        results.append(res)
        print(res["summary"], file=sys.stderr)

    print(f"\nmachine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}\n")
    print("| engine | scale | employers | declarations | receivables | ledger_payments | total rows "
          "| wall (s) | rows/s | peak RSS (MiB) |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in results:
        c = r["rows"]
        print(f"| {r['engine']} | {r['scale']} | {c['employers']:,} | {c['declarations']:,} | "
              f"{c['receivables']:,} | {c['ledger_payments']:,} | {r['total_rows']:,} | {r['wall_s']} | "
              f"{r['rows_per_s']:,} | {r['peak_rss_mib']:,} |")
    print("\n" + json.dumps([{k: v for k, v in r.items() if k != "summary"} for r in results], indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())

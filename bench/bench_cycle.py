"""Benchmark the monthly cycle stage by stage: ``make bench SCALE=S|M|L`` (default S).

Seeds the scale once into its own folder (``data/bench-<SCALE>/seed``: the source database and the
generator's truth, reused while present), then on a fresh copy of it (``data/bench-<SCALE>/run``, emptied
at every start) runs

* the **first month** (2026-11-01, the full load): the warehouse migration, then the DAGs' stages;
* the **steady month** (2026-12-01): after ``recouvra seed --advance-to 2026-11`` (the source lives
  through November; timed, shown, not counted in the month), the incremental month.

Each stage calls the same domain function, with the same arguments, as its DAG task (``dags/*.py``),
in the order ``scripts/demo-lib.sh`` runs the DAGs within a month: portfolio_extract (one extraction
per table, then the quality gate and publication), debtor_master, collections_reconcile,
commission_monthly and kpi_load (steady month only: they close the month before), assignment_monthly,
payments_weekly. SFTP is left out: the packages are built locally and recorded as published (what
``record_publication`` is given after a verified upload); the simulated agencies and returns_ingest
are not run (they need the SFTP server), so the steady month reconciles no agency report.

Each DAG run is a fresh Python process (``bench_cycle.py --child <dag>``), as each Airflow task runs
in a process of its own: a stage's memory is its own and its DAG's, not what earlier DAGs left in the
bench's process (``--one-process`` runs every DAG in the bench's process, as before 2026-12-04: about
1 GB more per stage at L). Per stage: wall time (the domain call, not the interpreter's start), rows in
and out (from the stage's own report), rows per second (rows in, else rows out, over the wall time),
peak memory (the resident set of the DAG's process plus all its children, worker processes included,
sampled every 50 ms; the interpreter and the domain package's imports included, Airflow's not; a sum of
RSS counts pages shared with forked workers once per process, so it is an upper bound). Airflow's own
overhead is measured apart, twice, with ``warehouse_setup`` (its tasks have nearly nothing to do on a
migrated warehouse): under Airflow's scheduler as ``make demo`` runs it (the time of each triggered run
when none of its tasks was running, median of three runs: the production form), and under ``airflow
dags test`` (wall time minus its task instances' durations from Airflow's metadata database, median of
three runs: a CLI start each).

Writes its section of ``docs/benchmarks.md`` (between the markers ``<!-- bench-cycle <SCALE>:start -->``
and ``<!-- bench-cycle <SCALE>:end -->``; the rest of the file is kept) and ends with the line
``cycle <SCALE>: first month <N> s, steady month <N> s, peak <N> MiB``.

    .venv/bin/python bench/bench_cycle.py --scale S
    .venv/bin/python bench/bench_cycle.py --scale M --no-airflow --no-docs
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import os
import platform
import posixpath
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Sequence

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs" / "benchmarks.md"
FIRST_DAY = dt.date(2026, 11, 1)
STEADY_DAY = dt.date(2026, 12, 1)
ADVANCE_TO = "2026-11"
#: The seed's last declared month (``seed.end_month``): the month before the first month, so that the
#: full load reads the source as at its eve and the advance adds November only. With the configured
#: default (2026-06) the advance would add July to November with timestamps before the first month's
#: watermark, rows no incremental extraction can see (the gate rightly stops on their orphans).
SEED_END_MONTH = "2026-10"
SEED = 42
SAMPLE_SECONDS = 0.05
MIB = 2**20


# ---------------------------------------------------------------------------------- measurement
@dataclass
class StageResult:
    """One stage of one month: what the table shows."""

    month: str  # "first" or "steady"
    stage: str
    dag: str
    wall_s: float
    rows_in: int | None
    rows_out: int | None
    peak_mib: float
    counted: bool = True  # False: shown, not part of the month's total (the source's own life)

    @property
    def rows_per_s(self) -> float | None:
        rows = self.rows_in if self.rows_in is not None else self.rows_out
        if rows is None or self.wall_s <= 0:
            return None
        return rows / self.wall_s


class TreeSampler:
    """Peak resident memory of this process and all its descendants, sampled on a thread."""

    def __init__(self, interval: float = SAMPLE_SECONDS) -> None:
        import psutil

        self._psutil = psutil
        self._proc = psutil.Process()
        self._interval = interval
        self._peak = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def tree_rss(self) -> int:
        total = 0
        procs = [self._proc]
        with contextlib.suppress(self._psutil.Error):
            procs += self._proc.children(recursive=True)
        for p in procs:
            with contextlib.suppress(self._psutil.Error):
                total += p.memory_info().rss
        return total

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            self._peak = max(self._peak, self.tree_rss())

    def __enter__(self) -> TreeSampler:
        self._peak = self.tree_rss()
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="rss-sampler", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self._peak = max(self._peak, self.tree_rss())

    @property
    def peak_bytes(self) -> int:
        return self._peak


class Recorder:
    """Runs stages, prints one progress line per stage, keeps the results."""

    def __init__(self, out: Any = None) -> None:
        self.results: list[StageResult] = []
        self.out = out if out is not None else sys.stdout

    def stage(self, month: str, dag: str, stage: str,
              fn: Callable[[], tuple[Any, int | None, int | None]], *, counted: bool = True) -> Any:
        """Run ``fn`` (returning (value, rows in, rows out)), measure it, print its line."""
        with TreeSampler() as sampler:
            t0 = time.perf_counter()
            value, rows_in, rows_out = fn()
            wall = time.perf_counter() - t0
        res = StageResult(month, stage, dag, wall, rows_in, rows_out, sampler.peak_bytes / MIB, counted)
        self.results.append(res)
        print(progress_line(res), file=self.out, flush=True)
        return value


def _n(v: int | None) -> str:
    return "-" if v is None else f"{v:,}"


def progress_line(r: StageResult) -> str:
    rate = "" if r.rows_per_s is None else f", {r.rows_per_s:,.0f} rows/s"
    note = "" if r.counted else " (not counted)"
    return (f"  [{r.month:<6}] {r.dag:<21} {r.stage:<28} {r.wall_s:7.1f} s  "
            f"{_n(r.rows_in)} -> {_n(r.rows_out)} rows{rate}, peak {r.peak_mib:,.0f} MiB{note}")


# ---------------------------------------------------------------------------------- rendering
def month_total(results: Sequence[StageResult], month: str) -> float:
    return sum(r.wall_s for r in results if r.month == month and r.counted)


def overall_peak(results: Sequence[StageResult]) -> float:
    """The largest peak of the pipeline's own stages (the source's advance is not the pipeline)."""
    return max((r.peak_mib for r in results if r.counted), default=0.0)


def last_line(scale: str, results: Sequence[StageResult]) -> str:
    return (f"cycle {scale}: first month {month_total(results, 'first'):.0f} s, "
            f"steady month {month_total(results, 'steady'):.0f} s, peak {overall_peak(results):.0f} MiB")


def render_table(results: Sequence[StageResult]) -> str:
    """The Markdown table: one row per stage, then each month's total (counted stages; peak: the max)."""
    lines = ["| month | DAG | stage | wall (s) | rows in | rows out | rows/s | peak (MiB) |",
             "|---|---|---|---:|---:|---:|---:|---:|"]
    for month, label in (("first", f"first ({FIRST_DAY})"), ("steady", f"steady ({STEADY_DAY})")):
        rows = [r for r in results if r.month == month]
        for r in rows:
            rate = "-" if r.rows_per_s is None else f"{r.rows_per_s:,.0f}"
            stage = r.stage if r.counted else f"{r.stage} (not counted)"
            lines.append(f"| {label} | {r.dag} | {stage} | {r.wall_s:.1f} | {_n(r.rows_in)} | "
                         f"{_n(r.rows_out)} | {rate} | {r.peak_mib:,.0f} |")
        if rows:
            lines.append(f"| **{label}** | | **total** | **{month_total(results, month):.1f}** | | | | "
                         f"**{overall_peak(rows):,.0f}** |")
    return "\n".join(lines)


@dataclass
class Machine:
    cores: int
    ram_gib: float
    python: str
    duckdb: str
    load_before: tuple[float, float, float]
    extra: dict[str, str] = field(default_factory=dict)

    def describe(self) -> str:
        load = ", ".join(f"{x:.2f}" for x in self.load_before)
        return (f"{platform.machine()}, {self.cores} cores, {self.ram_gib:.0f} GiB RAM, "
                f"Python {self.python}, DuckDB {self.duckdb}; load average before the run {load}")


def render_section(scale: str, results: Sequence[StageResult], machine: Machine, seeded: str,
                   airflow: str, when: str) -> str:
    return "\n".join([
        f"### Scale {scale}, measured {when}",
        "",
        f"Machine: {machine.describe()}. {seeded}",
        "",
        render_table(results),
        "",
        f"Airflow's own overhead: {airflow}",
        "",
        "`" + last_line(scale, results) + "`",
    ])


def markers(scale: str) -> tuple[str, str]:
    return f"<!-- bench-cycle {scale}:start -->", f"<!-- bench-cycle {scale}:end -->"


def replace_section(text: str, scale: str, body: str) -> str:
    """Put ``body`` between the scale's markers (appended at the end, with its markers, if absent)."""
    start, end = markers(scale)
    block = f"{start}\n{body}\n{end}"
    pattern = re.compile(re.escape(start) + r".*?" + re.escape(end), re.DOTALL)
    if pattern.search(text):
        return pattern.sub(lambda _: block, text, count=1)
    return text.rstrip("\n") + "\n\n" + block + "\n"


# ---------------------------------------------------------------------------------- the cycle
@dataclass
class Paths:
    base: Path

    @property
    def seed(self) -> Path:
        return self.base / "seed"

    @property
    def run(self) -> Path:
        return self.base / "run"

    def env(self) -> dict[str, str]:
        r = self.run
        return {
            "RECOUVRA__STORAGE__SOURCE_URL": f"sqlite:///{r / 'source.db'}",
            "RECOUVRA__STORAGE__WAREHOUSE_URL": f"duckdb:///{r / 'warehouse.duckdb'}",
            "RECOUVRA__STORAGE__LAKE_DIR": str(r / "lake"),
            "RECOUVRA__STORAGE__TRUTH_DIR": str(r / "truth"),
            "RECOUVRA__STORAGE__REPORTS_DIR": str(r / "reports"),
            "RECOUVRA__STORAGE__SFTP_ROOT": str(r / "sftp"),
            "RECOUVRA__STORAGE__MATCH_CACHE_DIR": str(r / "match_cache"),
            "RECOUVRA__SEED__END_MONTH": SEED_END_MONTH,
        }


def ensure_seed(paths: Paths, scale: str) -> str:
    """Seed the scale into its seed folder unless a completed seed is there; says what it did."""
    stamp = paths.seed / "SEEDED"
    if stamp.is_file() and f"history to {SEED_END_MONTH}" in stamp.read_text(encoding="utf-8"):
        return f"Source: {stamp.read_text(encoding='utf-8').strip()} (kept from an earlier run)."
    shutil.rmtree(paths.seed, ignore_errors=True)
    paths.seed.mkdir(parents=True)
    db = paths.seed / "source.db"
    print(f"seeding scale {scale} into {db} ...", flush=True)
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "recouvra.cli", "seed", "--scale", scale, "--seed", str(SEED),
                    "--url", f"sqlite:///{db}", "--truth-dir", str(paths.seed / "truth"), "--quiet"],
                   cwd=ROOT, check=True, env=_env(paths))
    what = f"seed {scale} (seed {SEED}, history to {SEED_END_MONTH}) in {time.perf_counter() - t0:.0f} s"
    stamp.write_text(what + "\n", encoding="utf-8")
    return f"Source: {what} (this run)."


def fresh_run(paths: Paths) -> None:
    """An empty run folder holding a copy of the seeded source and truth."""
    shutil.rmtree(paths.run, ignore_errors=True)
    paths.run.mkdir(parents=True)
    for f in paths.seed.iterdir():
        if f.is_dir():
            shutil.copytree(f, paths.run / f.name)
        elif f.name != "SEEDED":
            shutil.copy2(f, paths.run / f.name)


def _env(paths: Paths) -> dict[str, str]:
    env = dict(os.environ)
    env.update(paths.env())
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT / "include"), env.get("PYTHONPATH")) if p)
    return env


def _published(pkgs: Sequence[Any]) -> list[Any]:
    """What a verified upload of each package returns (``publish_package``), without SFTP."""
    from recouvra.publication import REMOTE_DIR, Publication, PublishedFile, generated_stamp

    return [Publication(p, tuple(PublishedFile(f.name, f.file_type, posixpath.join(REMOTE_DIR, f.name),
                                               f.sha256, f.rows, f.control_total) for f in p.all_files),
                        generated_stamp(None)) for p in pkgs]


def _file_rows(pkgs: Sequence[Any]) -> int:
    return sum(f.rows for p in pkgs for f in p.files)


class Cycle:
    """The DAG tasks' calls, with the arguments the DAG files give them, for one run date at a time."""

    def __init__(self, rec: Recorder, paths: Paths, *, isolated: bool = True) -> None:
        from recouvra.config import load_settings

        self.rec = rec
        self.paths = paths
        self.isolated = isolated
        self._published_rows: int | None = None
        self.s = load_settings()
        self.lake = self.s.path(self.s.storage.lake_dir)
        self.out = self.lake.parent / "outbox"
        self.src = self.s.source_url
        self.wh_url = self.s.warehouse_url

    @contextlib.contextmanager
    def wh(self) -> Iterator[Any]:
        from recouvra.warehouse import connect

        with connect(self.wh_url) as wh:
            yield wh

    def dag(self, name: str, month: str, day: dt.date) -> None:
        """Run one DAG's stages (the method ``name``): in a fresh process of its own (``--child``),
        its stage results read back, unless the cycle runs in one process."""
        if not self.isolated:
            getattr(self, name)(month, day)
            return
        import json

        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "results.json"
            subprocess.run([sys.executable, str(Path(__file__).resolve()), "--data-dir", str(self.paths.base),
                            "--child", name, "--child-month", month, "--child-day", day.isoformat(),
                            "--child-results", str(out), "--child-published-rows",
                            str(-1 if self._published_rows is None else self._published_rows)],
                           cwd=ROOT, check=True, env=_env(self.paths))
            done = json.loads(out.read_text(encoding="utf-8"))
        self.rec.results.extend(StageResult(**r) for r in done["results"])
        self._published_rows = done["published_rows"]

    def setup(self, month: str, day: dt.date | None = None) -> None:  # day: as every DAG's method
        from recouvra.warehouse import migrate

        def run() -> tuple[Any, int | None, int | None]:
            applied = migrate(self.wh_url)
            return applied, None, len(applied)
        self.rec.stage(month, "warehouse_setup", "migrate_warehouse", run)

    def month(self, month: str, day: dt.date) -> None:
        dags = ["portfolio_extract", "debtor_master", "collections_reconcile"]
        if month != "first":
            dags += ["commission_monthly", "kpi_load"]
        for name in [*dags, "assignment_monthly", "payments_weekly"]:
            self.dag(name, month, day)

    def portfolio_extract(self, month: str, day: dt.date) -> None:
        from recouvra.lake import TABLES
        from recouvra.portfolio import extract_snapshot, gate_and_publish

        run_id = f"bench__{day.isoformat()}"
        high = dt.datetime.combine(day, dt.time())  # logical_wall_time(): the run's local midnight
        snaps: list[dict[str, Any]] = []
        for table in TABLES:
            def extract(table: str = table) -> tuple[Any, int | None, int | None]:
                snap = extract_snapshot(self.src, self.lake, table, day, high, run_id)
                return snap, snap["rows"], snap["rows"]
            snaps.append(self.rec.stage(month, "portfolio_extract", f"extract {table}", extract))

        def gate() -> tuple[Any, int | None, int | None]:
            rep = gate_and_publish(self.src, self.lake, self.lake.parent / "gx", snaps, run_id)
            return rep, sum(s["rows"] for s in snaps), sum(t["rows"] for t in rep["tables"].values())
        self.rec.stage(month, "portfolio_extract", "quality_gate_and_publish", gate)
        self._published_rows = sum(s["rows"] for s in snaps)

    def debtor_master(self, month: str, day: dt.date) -> None:
        from recouvra.debtor_master import build_debtor_master
        from recouvra.staging import load_staging

        def staging() -> tuple[Any, int | None, int | None]:
            with self.wh() as wh:
                merged = load_staging(wh, self.lake)
            return merged, self._published_rows, sum(merged.values())
        self.rec.stage(month, "debtor_master", "load_staging", staging)

        def build() -> tuple[Any, int | None, int | None]:
            with self.wh() as wh:
                rep = build_debtor_master(wh, self.lake, day,
                                          title_limit_years=self.s.programme.eligibility.title_limit_years,
                                          match_cache=self.s.path(self.s.storage.match_cache_dir),
                                          retrain=self.s.debtor_master.retrain,
                                          full_rebuild=self.s.debtor_master.full_rebuild)
            return rep, rep.affiliations, rep.debtors
        self.rec.stage(month, "debtor_master", "build_debtor_master", build)

    def _ledger(self, month: str, dag: str, day: dt.date, before: bool) -> None:
        from recouvra.lake import open_lake
        from recouvra.ledger import load_ledger, load_ledger_before

        def load() -> tuple[Any, int | None, int | None]:
            with self.wh() as wh, open_lake(self.lake, as_of=day) as con:
                rep = (load_ledger_before if before else load_ledger)(wh, con, day)
            return rep, rep.entries, rep.inserted + rep.updated
        self.rec.stage(month, dag, "load_ledger", load)

    def collections_reconcile(self, month: str, day: dt.date) -> None:
        from recouvra.reconcile import reconcile

        self._ledger(month, "collections_reconcile", day, before=False)

        def run() -> tuple[Any, int | None, int | None]:
            with self.wh() as wh:
                rep = reconcile(wh, day, imputation_order=self.s.programme.imputation_order,
                                full=self.s.reconciliation.full_rebuild)
            return rep, rep.ledger_entries + rep.agency_payments, rep.attributions
        self.rec.stage(month, "collections_reconcile", "reconcile", run)

    def commission_monthly(self, month: str, day: dt.date) -> None:
        from recouvra.commission import (
            build_commission_files,
            compute_statements,
            record_commission_publication,
        )
        from recouvra.integrity import check_integrity

        prev = _previous_month(day)
        dag = "commission_monthly"

        def compute() -> tuple[Any, int | None, int | None]:
            with self.wh() as wh:
                rep = compute_statements(wh, prev)
            return rep, None, len(rep.lines)
        self.rec.stage(month, dag, "compute_statements", compute)

        def integrity() -> tuple[Any, int | None, int | None]:
            with self.wh() as wh:
                violations = check_integrity(wh, prev, imputation_order=self.s.programme.imputation_order)
            if violations:
                raise SystemExit(f"money integrity broken for {prev} ({len(violations)}): {violations[:5]}")
            return violations, None, 0
        self.rec.stage(month, dag, "check_integrity", integrity)

        def files() -> tuple[Any, int | None, int | None]:
            with self.wh() as wh:
                pkgs = build_commission_files(wh, prev, self.out)
            return pkgs, None, _file_rows(pkgs)
        pkgs = self.rec.stage(month, dag, "build_files", files)

        def record() -> tuple[Any, int | None, int | None]:
            pubs = _published(pkgs)
            with self.wh() as wh:
                marked = record_commission_publication(wh, pubs)
            return marked, sum(len(p.files) for p in pubs), marked
        self.rec.stage(month, dag, "record_publication", record)

    def kpi_load(self, month: str, day: dt.date) -> None:
        from recouvra.kpi import load_kpis
        from recouvra.report import render_report

        prev = _previous_month(day)

        def load() -> tuple[Any, int | None, int | None]:
            with self.wh() as wh:
                rep = load_kpis(wh, prev)
            return rep, rep.dossiers, sum(rep.rows.values())
        self.rec.stage(month, "kpi_load", "load_kpis", load)

        def render() -> tuple[Any, int | None, int | None]:
            with self.wh() as wh:
                path = render_report(wh, prev, self.s.path(self.s.storage.reports_dir))
            return path, None, 1
        self.rec.stage(month, "kpi_load", "render_report", render)

    def assignment_monthly(self, month: str, day: dt.date) -> None:
        from recouvra.publication import build_month_files, record_publication
        from recouvra.selection import (
            add_debts,
            check_settings,
            refresh_dossiers,
            require_dossiers,
            select_and_allocate,
        )

        dag, first = "assignment_monthly", day.replace(day=1)  # run_date().month
        check_settings(self.s, first)

        def refresh() -> tuple[Any, int | None, int | None]:
            with self.wh() as wh:
                rep = refresh_dossiers(wh, self.lake, self.s, first)
            return rep, rep.examined, sum(rep.recalled.values())
        self.rec.stage(month, dag, "refresh_lifecycle", refresh)

        def added() -> tuple[Any, int | None, int | None]:  # the same task, after the refresh
            with self.wh() as wh:
                rep = add_debts(wh, self.lake, first)
            print(rep.summary())
            return rep, None, rep.rows
        self.rec.stage(month, dag, "add_debts", added)

        def select() -> tuple[Any, int | None, int | None]:
            with self.wh() as wh:
                rep = require_dossiers(select_and_allocate(wh, self.lake, self.s, first,
                                                           seed=self.s.allocation.seed))
            return rep, rep.considered, rep.selected
        self.rec.stage(month, dag, "select_and_allocate", select)

        def files() -> tuple[Any, int | None, int | None]:
            with self.wh() as wh:
                pkgs = build_month_files(wh, first, self.out)
            return pkgs, sum(len(p.dossier_ids) for p in pkgs), _file_rows(pkgs)
        pkgs = self.rec.stage(month, dag, "build_files", files)
        self._record(month, dag, pkgs, record_publication)

    def _record(self, month: str, dag: str, pkgs: list[Any], record: Callable[..., Any]) -> None:
        def run() -> tuple[Any, int | None, int | None]:
            pubs = _published(pkgs)
            with self.wh() as wh:
                summ = record(wh, pubs)
            return summ, sum(len(p.files) for p in pubs), (summ.dossiers_published + summ.recalls_marked
                                                         + summ.notices_recorded + summ.additions_sent)
        self.rec.stage(month, dag, "record_publication", run)

    def payments_weekly(self, month: str, day: dt.date) -> None:
        from recouvra.publication import build_payment_notices, record_publication

        dag = "payments_weekly"
        self._ledger(month, dag, day, before=True)

        def notices() -> tuple[Any, int | None, int | None]:
            with self.wh() as wh:
                pkgs = build_payment_notices(wh, day, self.out)
            return pkgs, None, sum(len(p.notices) for p in pkgs)
        pkgs = self.rec.stage(month, dag, "build_notices", notices)
        self._record(month, dag, pkgs, record_publication)

    def advance_source(self, month: str) -> None:
        def run() -> tuple[Any, int | None, int | None]:
            out = subprocess.run([sys.executable, "-m", "recouvra.cli", "seed", "--advance-to", ADVANCE_TO,
                                  "--quiet"], cwd=ROOT, check=True, env=_env(self.paths),
                                 capture_output=True, text=True).stdout
            return out, None, _advanced_rows(out)
        self.rec.stage(month, "(source)", f"seed --advance-to {ADVANCE_TO}", run, counted=False)


def _previous_month(day: dt.date) -> dt.date:
    from recouvra.calendar import RunDate

    return RunDate(day).previous_month


def _advanced_rows(summary: str) -> int | None:
    """Rows the advance added or changed, from its summary line ``  2026-11: +N new ... ~M changed``."""
    for line in summary.splitlines():
        if line.strip().startswith(ADVANCE_TO + ":"):
            nums = [int(n.replace(",", "")) for n in re.findall(r"[+~]([\d,]+)", line)]
            return sum(nums) if nums else None
    return None


# ---------------------------------------------------------------------------------- Airflow overhead
def _airflow_shell(paths: Paths, home: Path, db: Path, extra: dict[str, str], *, tuning: bool = False,
                   log: Path | None = None) -> Callable[..., None]:
    """A runner of shell commands against the bench's Airflow (AIRFLOW_HOME ``home``, SQLite metadata
    ``db``, the bench's data; ``extra`` environment on top), after scripts/env.sh (and, with ``tuning``,
    the demo's scheduler settings); output appended to ``log``, else dropped."""
    env = _env(paths)
    env.update({"RECOUVRA_DATA_DIR": str(paths.base), "AIRFLOW_HOME": str(home),
                "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{db}", **extra})
    sources = [ROOT / "scripts" / "env.sh"] + ([ROOT / "scripts" / "scheduler-tuning.sh"] if tuning else [])
    sh = "".join(f"source {f} && " for f in sources)

    def bash(cmd: str, *, check: bool = True) -> None:
        with contextlib.ExitStack() as stack:
            out = stack.enter_context(log.open("a", encoding="utf-8")) if log else subprocess.DEVNULL
            subprocess.run(["bash", "-c", sh + cmd], cwd=ROOT, env=env, check=check, stdout=out,
                           stderr=subprocess.STDOUT if log else subprocess.DEVNULL)
    return bash


def airflow_overhead(paths: Paths, runs: int = 3) -> tuple[str, float | None]:
    """``airflow dags test warehouse_setup`` wall time minus its tasks' durations (metadata database):
    the per-DAG-run cost of Airflow itself. Returns the sentence for the docs and the median seconds."""
    home = paths.base / "airflow"
    home.mkdir(parents=True, exist_ok=True)
    bash = _airflow_shell(paths, home, home / "airflow.db", {})

    print("measuring Airflow's overhead (airflow db migrate, then 3 x airflow dags test warehouse_setup) ...",
          flush=True)
    bash(f"airflow db migrate && python -m recouvra.operations pools >{home}/pools.json "
         f"&& airflow pools import {home}/pools.json")
    gaps, walls = [], []
    for i in range(runs):
        t0 = time.perf_counter()
        bash(f"airflow dags test warehouse_setup 2026-01-{i + 1:02d}")
        wall = time.perf_counter() - t0
        tasks = _last_run_task_seconds(home / "airflow.db", "warehouse_setup")
        walls.append(wall)
        gaps.append(wall - tasks)
    gap = statistics.median(gaps)
    calls = _task_calls_seconds(paths, runs)
    text = (f"{gap:.1f} s per DAG run: the median of {runs} `airflow dags test warehouse_setup` runs "
            f"({', '.join(f'{w:.1f}' for w in walls)} s wall) minus their task instances' durations from "
            f"Airflow's metadata database (its tasks have nothing to migrate). Counted against the same two "
            f"calls timed in the bench's process ({calls:.1f} s), instead of Airflow's task durations "
            f"(which include the task runner's own start and imports), it is "
            f"{statistics.median(walls) - calls:.1f} s.")
    return text, gap


def scheduler_overhead(paths: Paths, runs: int = 3) -> tuple[str, float | None]:
    """``warehouse_setup`` triggered ``runs`` times under Airflow's scheduler, as ``make demo`` runs the
    DAGs (scripts/stack.sh: api-server, scheduler, dag-processor, triggerer, LocalExecutor, SQLite
    metadata; the demo's scheduler settings, scripts/scheduler-tuning.sh): per DAG run, the seconds when
    no task of the run was running (``scripts/scheduler_run.py report``: queueing, scheduling, the
    hand-over between its two tasks). Returns the sentence for the docs and the median seconds."""
    import json

    stack = paths.base / "stack"
    shutil.rmtree(stack, ignore_errors=True)
    stack.mkdir(parents=True)
    log = stack / "bench.log"
    # scripts/demo-lib.sh's free_ports: the api-server's port, then the three of stack.sh
    lib = ROOT / "scripts" / "demo-lib.sh"
    port = int(subprocess.run(["bash", "-c", f"source {lib} && free_ports 4 23000"], check=True,
                              capture_output=True, text=True).stdout.strip())
    bash = _airflow_shell(paths, stack / "airflow", stack / "airflow.db", {
        "STACK_DIR": str(stack), "STACK_AIRFLOW_HOME": str(stack / "airflow"),
        "STACK_EXECUTOR": "LocalExecutor",
        "STACK_DB_URL": f"sqlite:///{stack / 'airflow.db'}", "STACK_CONNECTIONS": "none",
        "STACK_REPLAY_ONLY": "1", "STACK_PARALLELISM": "2", "STACK_PORT": str(port),
        "STACK_PORT_BASE": str(port + 1)}, tuning=True, log=log)

    print(f"measuring Airflow's overhead under its scheduler (stack start, {runs} x warehouse_setup) ...",
          flush=True)
    report = stack / "runs.json"
    try:
        bash("bash scripts/stack.sh start")
        bash("python scripts/scheduler_run.py ready warehouse_setup")
        for i in range(runs):
            bash(f"python scripts/scheduler_run.py trigger warehouse_setup 2026-01-{i + 1:02d}T02:00")
        bash(f"python scripts/scheduler_run.py report {report}")
    except subprocess.CalledProcessError as exc:
        return f"not measured under the scheduler ({exc}; see {log}).", None
    finally:
        bash("bash scripts/stack.sh stop", check=False)
    rows = json.loads(report.read_text(encoding="utf-8"))["runs"]
    idle = statistics.median(r["no_task_s"] for r in rows)
    walls = [r["wall_s"] for r in rows]
    tasks = [r["task_s"] for r in rows]
    calls = _task_calls_seconds(paths, runs)
    gap = max(0.0, statistics.median(walls) - calls)
    text = (f"{gap:.1f} s per DAG run under Airflow's scheduler (the production form; `make demo`'s "
            f"settings): the median wall time of {len(rows)} triggered `warehouse_setup` runs "
            f"({', '.join(f'{w:.1f}' for w in walls)} s, of which {', '.join(f'{t:.1f}' for t in tasks)} s "
            f"in its two task instances) minus the same two calls timed in the bench's process "
            f"({calls:.1f} s): the scheduling, the task runner's start and the hand-over between tasks; "
            f"{idle:.1f} s of it (median) with no task of the run running.")
    return text, gap


def _task_calls_seconds(paths: Paths, runs: int) -> float:
    """What warehouse_setup's two tasks call (``migrate``, ``describe``), timed here: median seconds."""
    from recouvra.warehouse import describe, migrate

    url = paths.env()["RECOUVRA__STORAGE__WAREHOUSE_URL"]
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        migrate(url)
        describe(url, required_schemas=("staging", "core", "marts", "meta"))
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def _last_run_task_seconds(db: Path, dag_id: str) -> float:
    with contextlib.closing(sqlite3.connect(db)) as con:
        row = con.execute(
            "SELECT SUM((julianday(ti.end_date) - julianday(ti.start_date)) * 86400.0) "
            "FROM task_instance ti WHERE ti.dag_id = ? AND ti.run_id = "
            "(SELECT run_id FROM dag_run WHERE dag_id = ? ORDER BY id DESC LIMIT 1)", (dag_id, dag_id),
        ).fetchone()
    return float(row[0] or 0.0)


# ---------------------------------------------------------------------------------- main
def machine() -> Machine:
    import duckdb
    import psutil

    return Machine(cores=os.cpu_count() or 0, ram_gib=psutil.virtual_memory().total / 2**30,
                   python=platform.python_version(), duckdb=duckdb.__version__,
                   load_before=os.getloadavg())


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scale", default="S", type=str.upper, choices=["S", "M", "L"])
    ap.add_argument("--data-dir", type=Path, help="default: data/bench-<SCALE>")
    ap.add_argument("--no-airflow", action="store_true", help="skip measuring Airflow's overhead")
    ap.add_argument("--no-docs", action="store_true", help=f"do not write {DOCS.relative_to(ROOT)}")
    ap.add_argument("--one-process", action="store_true",
                    help="run every DAG in this process (default: each in a fresh one, as Airflow's tasks)")
    for hidden in ("--child", "--child-month", "--child-day", "--child-results", "--child-published-rows"):
        ap.add_argument(hidden, help=argparse.SUPPRESS)  # one DAG's stages, in the process the bench started
    args = ap.parse_args(argv)

    paths = Paths((args.data_dir or ROOT / "data" / f"bench-{args.scale}").resolve())
    os.environ.update(paths.env())
    if args.child:
        return _child(args, paths)
    box = machine()
    seeded = ensure_seed(paths, args.scale)
    fresh_run(paths)
    rec = Recorder()
    cycle = Cycle(rec, paths, isolated=not args.one_process)
    print(f"first month {FIRST_DAY} (full load), data in {paths.run}", flush=True)
    cycle.dag("setup", "first", FIRST_DAY)
    cycle.month("first", FIRST_DAY)
    print(f"steady month {STEADY_DAY} (after the source lived through {ADVANCE_TO})", flush=True)
    cycle.advance_source("steady")
    cycle.month("steady", STEADY_DAY)

    if args.no_airflow:
        airflow = "not measured in this run (`--no-airflow`)."
    else:
        dag_runs = len({r.dag for r in rec.results if r.month == "steady" and r.counted})
        steady = month_total(rec.results, "steady")
        parts = []
        for label, (text, gap) in (("under the scheduler", scheduler_overhead(paths)),
                                   ("under `airflow dags test`", airflow_overhead(paths))):
            if gap is not None:
                share = dag_runs * gap / (steady + dag_runs * gap)
                text += (f" {label.capitalize()}, the steady month's {dag_runs} DAG runs would add "
                         f"{dag_runs * gap:.0f} s to its {steady:.0f} s of stages: {share:.0%} of the month.")
            parts.append(text)
        airflow = " ".join(parts)
        print(f"airflow overhead: {airflow}", flush=True)
    if not args.no_docs:
        when = dt.datetime.now().astimezone().strftime("%Y-%m-%d")
        body = render_section(args.scale, rec.results, box, seeded, airflow, when)
        DOCS.write_text(replace_section(DOCS.read_text(encoding="utf-8"), args.scale, body), encoding="utf-8")
        print(f"wrote the scale {args.scale} section of {DOCS.relative_to(ROOT)}", flush=True)
    print(last_line(args.scale, rec.results), flush=True)
    return 0


def _child(args: argparse.Namespace, paths: Paths) -> int:
    """One DAG's stages in this (fresh) process; the results written for the bench's process."""
    import dataclasses
    import json

    rec = Recorder()
    cycle = Cycle(rec, paths, isolated=False)
    rows = int(args.child_published_rows)
    cycle._published_rows = None if rows < 0 else rows
    getattr(cycle, args.child)(args.child_month, dt.date.fromisoformat(args.child_day))
    Path(args.child_results).write_text(json.dumps({
        "results": [dataclasses.asdict(r) for r in rec.results], "published_rows": cycle._published_rows,
    }), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())

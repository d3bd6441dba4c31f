"""``seed_source``: create and fill the synthetic fund database, chunk by chunk, and write the truth.

Employers are generated in fixed chunks of :data:`CHUNK_SIZE` records. Chunk ``k`` draws from its own
random generator seeded with ``(seed, k)``, so the data depend only on the seed and the number of
employers, never on the database, the batch size of the writer or the machine. Each chunk is written
and released before the next one is drawn: memory stays flat whatever the scale.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
import time
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from recouvra.config import redact_url
from recouvra.errors import ConfigError
from recouvra.sqlfiles import query, statements
from recouvra.standins.generator.identity import generate_employers
from recouvra.standins.generator.ledger import RateTables, generate_ledger
from recouvra.standins.generator.sinks import Sink, open_sink
from recouvra.standins.generator.timeline import Timeline, parse_month

if TYPE_CHECKING:
    from pathlib import Path

    from recouvra.config import Settings

GENERATOR_VERSION = "1.0.0"
CHUNK_SIZE = 25_000
SCALES: dict[str, int] = {"S": 5_000, "M": 100_000, "L": 1_000_000}
MAX_EMPLOYERS = 2_500_000  # ICE company roots and affiliation numbers stay unique below this
TABLES: tuple[str, ...] = (
    "employers", "declarations", "titles", "receivables", "ledger_payments", "payment_plans",
    "plan_installments", "legal_proceedings", "disputes",
)
TRUTH_FILE = "entities.parquet"
TRUTH_MANIFEST = "seed_manifest.json"
DUE_DAY = 10  # contributions due on the 10th of the following month (commonly cited, unverified)


@dataclass
class SeedReport:
    """What a seed did: rows per table, time taken, where the truth is; ``skipped`` when the source
    already held the same seed and nothing was written."""

    url: str
    scale: str
    n_employers: int
    seed: int
    version: str
    counts: dict[str, int]
    elapsed_s: float
    truth_path: Path
    skipped: bool = False
    timings: dict[str, float] = field(default_factory=dict)

    def summary(self) -> str:
        head = (f"source {self.url}: already seeded with scale {self.scale} "
                f"({self.n_employers:,} employers), "
                f"seed {self.seed}, generator {self.version}; nothing to do (use --force to re-seed)"
                if self.skipped else
                f"seeded {self.url}: scale {self.scale} ({self.n_employers:,} employers), seed {self.seed}, "
                f"generator {self.version}, in {self.elapsed_s:.1f} s")
        width = max(len(t) for t in self.counts) if self.counts else 10
        lines = [head] + [f"  {t:<{width}} {c:>12,}" for t, c in self.counts.items()]
        lines.append(f"  {'total':<{width}} {sum(self.counts.values()):>12,}")
        if self.timings:
            lines.append("time: " + ", ".join(f"{k} {v:.1f} s" for k, v in self.timings.items()))
        lines.append(f"truth (affiliation_no -> entity_id, dirt applied): {self.truth_path}")
        return "\n".join(lines)


def resolve_scale(scale: str | int) -> tuple[str, int]:
    """('S', 5000) from 'S'; ('1500', 1500) from 1500 or '1500'."""
    if isinstance(scale, str) and scale.upper() in SCALES:
        return scale.upper(), SCALES[scale.upper()]
    try:
        n = int(scale)
    except (TypeError, ValueError):
        raise ConfigError(f"scale {scale!r}: expected S, M, L or a number of employers") from None
    if not 1 <= n <= MAX_EMPLOYERS:
        raise ConfigError(f"scale {n}: the number of employers must be between 1 and {MAX_EMPLOYERS:,}")
    return str(n), n


def timeline_of(settings: Settings) -> Timeline:
    return Timeline(parse_month(settings.seed.end_month), settings.seed.history_months, DUE_DAY)


def chunk_rngs(seed: int, chunk_index: int) -> tuple[np.random.Generator, np.random.Generator]:
    """Independent generators of chunk ``chunk_index``: one for employers, one for their money."""
    children = np.random.SeedSequence([seed, chunk_index]).spawn(2)
    return np.random.default_rng(children[0]), np.random.default_rng(children[1])


def generate_chunk(
    settings: Settings, timeline: Timeline, tables: RateTables, seed: int, chunk_index: int, n: int,
) -> tuple[dict[str, dict[str, list[Any]]], dict[str, Any]]:
    """The rows of every table for one chunk, and the truth of its employers."""
    rng_emp, rng_money = chunk_rngs(seed, chunk_index)
    emp = generate_employers(rng_emp, settings.seed, timeline, chunk_index, CHUNK_SIZE, n, seed)
    out: dict[str, dict[str, list[Any]]] = {"employers": emp.columns}
    out.update(generate_ledger(rng_money, emp, tables, timeline, chunk_index))
    return out, emp.truth


def _now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S")


def _previous_run(sink: Sink) -> tuple[Any, ...] | None:
    try:
        rows = sink.query(query("standins/select_finished_seed_runs"))
    except Exception:  # no seed_runs table yet: a fresh or foreign database
        sink.rollback()
        return None
    return rows[0] if rows else None


def _truth_schema() -> Any:
    import pyarrow as pa

    return pa.schema([
        ("affiliation_no", pa.string()), ("entity_id", pa.int64()), ("set_size", pa.int64()),
        ("role", pa.int64()), ("dup_kind", pa.string()), ("shares_strong_id", pa.bool_()),
        ("ice_state", pa.string()), ("rc_state", pa.string()), ("name_variant", pa.bool_()),
        ("address_variant", pa.bool_()), ("city_variant", pa.bool_()), ("phone_changed", pa.bool_()),
        ("natural_person", pa.bool_()), ("common_name", pa.bool_()), ("arabic_name", pa.bool_()),
        ("lookalike_of", pa.int64()), ("behaviour", pa.string()),
    ])


def seed_manifest(truth_dir: Path) -> dict[str, Any]:
    """What the last seed wrote beside its truth (empty when there is none or it is unreadable)."""
    try:
        manifest = json.loads((truth_dir / TRUTH_MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return manifest if isinstance(manifest, dict) else {}


def history_of(settings: Settings) -> dict[str, Any]:
    """The history window a seed states (``seed.end_month``, ``seed.history_months``)."""
    return {"end_month": settings.seed.end_month, "history_months": settings.seed.history_months}


def _truth_matches(truth_dir: Path, n: int, seed: int, history: dict[str, Any]) -> bool:
    manifest = seed_manifest(truth_dir)
    return bool(
        (truth_dir / TRUTH_FILE).exists() and manifest.get("n_employers") == n
        and manifest.get("seed") == seed and manifest.get("generator_version") == GENERATOR_VERSION
        and all(manifest.get(k) == v for k, v in history.items())  # a moved history window re-seeds
    )


def seed_source(
    settings: Settings,
    scale: str | int = "S",
    seed: int = 42,
    url: str | None = None,
    truth_dir: Path | None = None,
    progress: bool = True,
    force: bool = False,
) -> SeedReport:
    """Create and fill the synthetic fund database at ``url`` and write the duplicates truth to
    ``truth_dir``. Idempotent: when the source already holds a finished seed of the same size, seed and
    generator version (and the truth is there), nothing is done unless ``force``."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    from tqdm import tqdm

    if seed < 0:
        raise ConfigError(f"seed {seed}: must be a non-negative integer")
    label, n_total = resolve_scale(scale)
    url = url or settings.source_url
    truth_dir = truth_dir or settings.path(settings.storage.truth_dir)
    shown = redact_url(url)
    started = time.perf_counter()
    sink = open_sink(url)
    try:
        prev = _previous_run(sink)
        if (not force and prev is not None and int(prev[0]) == n_total and int(prev[1]) == seed
                and prev[2] == GENERATOR_VERSION
                and _truth_matches(truth_dir, n_total, seed, history_of(settings))):
            return SeedReport(shown, str(prev[4]), n_total, seed, GENERATOR_VERSION,
                              json.loads(prev[3] or "{}"), time.perf_counter() - started,
                              truth_dir / TRUTH_FILE, skipped=True)

        timings: dict[str, float] = {"generate": 0.0, "write": 0.0}
        for stmt in statements("source/drop_source_tables") + statements("source/create_source_tables"):
            sink.execute(stmt)
        run_id = uuid.uuid4().hex
        sink.execute(
            query("standins/insert_seed_run"),
            (run_id, label, n_total, seed, GENERATOR_VERSION, str(truth_dir), _now(), _now()),
        )
        sink.commit()
        sink.begin_load()

        timeline = timeline_of(settings)
        rate_tables = RateTables.build(settings.rates, timeline)
        truth_dir.mkdir(parents=True, exist_ok=True)
        truth_tmp = truth_dir / (TRUTH_FILE + ".part")
        schema = _truth_schema()
        counts = dict.fromkeys(TABLES, 0)
        n_chunks = (n_total + CHUNK_SIZE - 1) // CHUNK_SIZE
        with pq.ParquetWriter(truth_tmp, schema, compression="zstd") as writer, tqdm(
            total=n_total, unit="employers", unit_scale=True, file=sys.stderr, disable=not progress,
            desc=f"seed {label}",
        ) as bar:
            for k in range(n_chunks):
                n = min(CHUNK_SIZE, n_total - k * CHUNK_SIZE)
                t0 = time.perf_counter()
                rows, truth = generate_chunk(settings, timeline, rate_tables, seed, k, n)
                t1 = time.perf_counter()
                for table in TABLES:
                    counts[table] += sink.insert(table, rows[table])
                sink.commit()
                writer.write_table(pa.Table.from_pydict(truth, schema=schema))
                timings["generate"] += t1 - t0
                timings["write"] += time.perf_counter() - t1
                del rows, truth
                bar.update(n)

        t0 = time.perf_counter()
        for stmt in statements("source/create_source_indexes"):
            sink.execute(stmt)
        sink.commit()
        timings["indexes"] = time.perf_counter() - t0
        sink.execute(
            query("standins/finish_seed_run"),
            (json.dumps(counts), _now(), _now(), run_id),
        )
        sink.end_load()
        truth_tmp.replace(truth_dir / TRUTH_FILE)
        (truth_dir / TRUTH_MANIFEST).write_text(json.dumps({
            "source": shown, "scale": label, "n_employers": n_total, "seed": seed,
            "generator_version": GENERATOR_VERSION, **history_of(settings), "counts": counts,
            "written_at": _now(),
        }, indent=2), encoding="utf-8")
        return SeedReport(shown, label, n_total, seed, GENERATOR_VERSION, counts,
                          time.perf_counter() - started, truth_dir / TRUTH_FILE, timings=timings)
    finally:
        sink.close()

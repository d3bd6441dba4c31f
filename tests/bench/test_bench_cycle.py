"""The cycle benchmark's output (bench/bench_cycle.py): its table, its last line, its docs section.

Nothing here is timed: the results are made up, the rendering is what is checked.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _bench():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("bench_cycle", ROOT / "bench" / "bench_cycle.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_cycle"] = module  # dataclasses resolve their module by name
    spec.loader.exec_module(module)
    return module


b = _bench()


def _results():  # type: ignore[no-untyped-def]
    R = b.StageResult
    return [
        R("first", "migrate_warehouse", "warehouse_setup", 0.5, None, 19, 110.0),
        R("first", "extract declarations", "portfolio_extract", 2.0, 63_416, 63_416, 290.4),
        R("first", "build_debtor_master", "debtor_master", 10.25, 5_000, 4_440, 504.6),
        R("steady", "seed --advance-to 2026-11", "(source)", 1.7, None, 25_901, 720.0, counted=False),
        R("steady", "extract receivables", "portfolio_extract", 0.25, 20_071, 20_071, 508.0),
        R("steady", "render_report", "kpi_load", 0.0, None, 1, 491.0),
    ]


def test_the_last_line_counts_the_pipeline_stages_only() -> None:
    # first: 0.5 + 2.0 + 10.25 = 12.75 -> 13; steady: 0.25 (the source's advance is not counted);
    # peak: 508 MiB, not the advance's 720
    assert b.last_line("S", _results()) == "cycle S: first month 13 s, steady month 0 s, peak 508 MiB"


def test_the_table_has_a_row_per_stage_and_each_months_total() -> None:
    lines = b.render_table(_results()).splitlines()
    assert lines[0] == "| month | DAG | stage | wall (s) | rows in | rows out | rows/s | peak (MiB) |"
    assert ("| first (2026-11-01) | portfolio_extract | extract declarations | 2.0 | 63,416 | 63,416 "
            "| 31,708 | 290 |") in lines
    assert "| first (2026-11-01) | warehouse_setup | migrate_warehouse | 0.5 | - | 19 | 38 | 110 |" in lines
    assert "| **first (2026-11-01)** | | **total** | **12.8** | | | | **505** |" in lines
    assert ("| steady (2026-12-01) | (source) | seed --advance-to 2026-11 (not counted) | 1.7 | - | 25,901 "
            "| 15,236 | 720 |") in lines
    assert "| steady (2026-12-01) | kpi_load | render_report | 0.0 | - | 1 | - | 491 |" in lines
    assert "| **steady (2026-12-01)** | | **total** | **0.2** | | | | **508** |" in lines
    assert len(lines) == 2 + 6 + 2


def test_the_section_replaces_only_its_scale_and_keeps_the_rest() -> None:
    doc = ("# Benchmarks\n\nintro\n\n<!-- bench-cycle S:start -->\nold S\n<!-- bench-cycle S:end -->\n\n"
           "<!-- bench-cycle M:start -->\nold M\n<!-- bench-cycle M:end -->\n\n## Seeding\nkept\n")
    once = b.replace_section(doc, "S", "new S")
    assert once == doc.replace("old S", "new S")
    assert b.replace_section(once, "S", "new S") == once  # a second run rewrites the same place


def test_a_scale_without_its_markers_is_appended_with_them() -> None:
    out = b.replace_section("# Benchmarks\n", "L", "figures L")
    assert out == "# Benchmarks\n\n<!-- bench-cycle L:start -->\nfigures L\n<!-- bench-cycle L:end -->\n"


def test_the_advances_summary_gives_the_rows_added_and_changed() -> None:
    summary = ("advanced sqlite:///s.db from 2026-11 to 2026-11 (1 months, seed 42) in 1.2 s\n"
               "  2026-11: employers +24/~50, receivables +1,234/~567\n"
               "  (+ rows inserted / ~ rows updated)\n")
    assert b._advanced_rows(summary) == 24 + 50 + 1_234 + 567
    assert b._advanced_rows("nothing for that month\n") is None


def test_the_benchmarks_doc_has_one_section_per_scale_for_the_bench_to_rewrite() -> None:
    text = (ROOT / "docs" / "benchmarks.md").read_text(encoding="utf-8")
    for scale in ("S", "M", "L"):
        start, end = b.markers(scale)
        assert text.count(start) == 1 and text.count(end) == 1, scale
        assert text.index(start) < text.index(end)


def test_the_seed_ends_the_month_before_the_first_month(tmp_path: Path) -> None:
    """The full load reads the source as at its eve, and the advance adds the first month alone: a seed
    ending earlier would get months of rows stamped before the first month's watermark, which no
    incremental extraction sees (the steady month's gate stopped on their orphans at M)."""
    import datetime as dt

    eve = b.FIRST_DAY - dt.timedelta(days=1)
    assert b.Paths(tmp_path).env()["RECOUVRA__SEED__END_MONTH"] == f"{eve:%Y-%m}" == b.SEED_END_MONTH
    assert b.ADVANCE_TO == f"{b.FIRST_DAY:%Y-%m}"


def test_a_seed_of_another_history_is_not_kept(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    paths = b.Paths(tmp_path)
    paths.seed.mkdir(parents=True)
    (paths.seed / "SEEDED").write_text("seed M (seed 42) in 29 s\n", encoding="utf-8")  # before the fix
    calls: list[list[str]] = []
    monkeypatch.setattr(b.subprocess, "run", lambda cmd, **kw: calls.append(cmd))
    said = b.ensure_seed(paths, "M")
    assert calls and "(this run)" in said and f"history to {b.SEED_END_MONTH}" in said
    assert "kept" in b.ensure_seed(paths, "M") and len(calls) == 1


def test_a_dag_runs_in_a_process_of_its_own_and_reports_its_stages(  # type: ignore[no-untyped-def]
    tmp_path: Path, monkeypatch,
) -> None:
    """``Cycle.dag`` starts ``bench_cycle.py --child`` for the DAG (as Airflow runs each task in a process
    of its own) and reads its stages back: the warehouse_setup DAG migrates a fresh warehouse there."""
    import os

    paths = b.Paths(tmp_path)
    paths.run.mkdir()
    for key, value in paths.env().items():
        monkeypatch.setitem(os.environ, key, value)
    rec = b.Recorder()
    cycle = b.Cycle(rec, paths)
    cycle.dag("setup", "first", b.FIRST_DAY)
    (stage,) = rec.results
    assert (stage.month, stage.dag, stage.stage, stage.counted) == ("first", "warehouse_setup",
                                                                    "migrate_warehouse", True)
    assert stage.rows_out is not None and stage.rows_out >= 36  # every migration, V036 included
    assert stage.peak_mib > 0 and (paths.run / "warehouse.duckdb").is_file()

"""The top-up of a short month (recouvra.selection.topup.top_up_month): a second selection run later in
the month, up to the shortfall and within each agency's capacity left, published as each agency's
package <SEQ> 02 while the _01 files stay as they were; idempotent, and nothing when nothing is short.
Checked on the dossiers, the selection rows, the files' bytes and rows, and what attribution reads."""

from __future__ import annotations

import csv
import datetime as dt
import importlib.util
import io
from pathlib import Path
from typing import Any

import pytest

from recouvra.config import REGIONS
from recouvra.owed import read_dossiers
from recouvra.publication import Publication, PublishedFile, build_packages, record_publication
from recouvra.selection import SelectionError, select_and_allocate, top_up_month
from recouvra.sqlfiles import query

_spec = importlib.util.spec_from_file_location("selection_worlds", Path(__file__).with_name("worlds.py"))
assert _spec is not None and _spec.loader is not None
worlds = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(worlds)
NOV = worlds.NOV
_settings, _agency, _debtor, _build = worlds._settings, worlds._agency, worlds._debtor, worlds._build
DAY = dt.date(2026, 11, 16)  # the top-up's day


def _published(pkg: Any, at: str) -> Publication:
    return Publication(pkg, tuple(PublishedFile(f.name, f.file_type, f"outbox/{f.name}", f.sha256, f.rows,
                                                f.control_total) for f in pkg.all_files), at)


def _short_month(wh: Any, lake: Path, tmp_path: Path, **kw: Any) -> Any:
    """November asks 6 dossiers of A1 (capacity 2) and A2 (capacity 4); four debtors are eligible on the
    1st, so the month's selection places 4. On the 16th the portfolio holds three more (5, 6, 7)."""
    settings = _settings(tmp_path, per_month=6, performance={"rule": "capacity"},
                         agencies=[_agency("A1", list(REGIONS), 2), _agency("A2", list(REGIONS), 4)], **kw)
    _build(wh, lake, [_debtor(i, 10_000 * i) for i in range(1, 5)])
    wh.execute("UPDATE core.debtor_history SET address = 'Rue 1', city = 'Ville'")  # as in dim_debtor
    report = select_and_allocate(wh, lake, settings, NOV, seed=1)
    assert report.selected == 4
    # The debtor master of the 16th: the four still owe, three debtors are new.
    _build(wh, lake, [_debtor(i, 10_000 * i) for i in (5, 6, 7)], as_of=DAY)
    wh.execute("UPDATE core.debtor_history SET address = 'Rue 1', city = 'Ville'")
    wh.execute("INSERT INTO core.debtor_portfolio SELECT * REPLACE (CAST(? AS DATE) AS as_of_date) "
               "FROM core.debtor_portfolio WHERE as_of_date = ?", [DAY, NOV])
    return settings


def _rows(path: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(Path(path).read_text(encoding="utf-8")), delimiter=";"))


def test_a_short_month_is_topped_up_under_seq_02_and_the_01_files_stay_as_sent(world, tmp_path: Path) -> None:
    wh, lake = world
    settings = _short_month(wh, lake, tmp_path)
    out = tmp_path / "out"
    first = build_packages(wh, NOV, out / "first")
    record_publication(wh, [_published(p, "2026-11-01T06:00:00Z") for p in first])
    sent_01 = {f.name: Path(f.path).read_bytes() for p in first for f in p.files}
    run1 = dict(wh.query("SELECT agency_code, count(*) FROM core.dossier GROUP BY 1"))
    assert sum(run1.values()) == 4 and run1["A1"] <= 2

    report = top_up_month(wh, lake, settings, NOV, DAY, seed=1)
    # Short by 2; debtors 7 and 6 rank first among those without a dossier of the month; 5 waits (QUOTA).
    assert (report.placed_before, report.shortfall, report.selected) == (4, 2, 2)
    assert report.considered == 3 and report.as_of_date == "2026-11-16"
    assert report.not_selected == {"QUOTA": 1}
    top = wh.query("SELECT dossier_id, debtor_id, agency_code, assignment_start, assignment_end, status, "
                   "status_date FROM core.dossier WHERE assignment_start = ? ORDER BY 1", [DAY])
    assert [(r[0], r[1]) for r in top] == [("D202611-000005", 7), ("D202611-000006", 6)]
    assert {r[3:] for r in top} == {(DAY, dt.date(2027, 4, 30), "ALLOCATED", DAY)}
    # Within each agency's capacity left: A1 had 2 - run1["A1"], A2 4 - run1["A2"].
    left = {"A1": 2 - run1["A1"], "A2": 4 - run1["A2"]}
    assert {c: v["capacity_left"] for c, v in report.agencies.items()} == {c: n for c, n in left.items() if n}
    month = dict(wh.query("SELECT agency_code, count(*) FROM core.dossier GROUP BY 1"))
    assert month["A1"] <= 2 and month["A2"] <= 4 and sum(month.values()) == 6
    # The month's second selection run, and its decisions only for the debtors it considered.
    assert wh.query("SELECT selection_seq, assignment_start, as_of_date, dossiers_target, dossiers_selected "
                    "FROM core.selection_run ORDER BY 1") == [(1, NOV, NOV, 6, 4), (2, DAY, DAY, 2, 2)]
    assert wh.query("SELECT debtor_id, decision, reason_code FROM core.selection_decision "
                    "WHERE selection_seq = 2 ORDER BY 1") == [
        (5, "NOT_SELECTED", "QUOTA"), (6, "SELECTED", "TOP_SCORE"), (7, "SELECTED", "TOP_SCORE")]
    # Attribution reads each dossier's own run: the top-up's dossiers settle from its portfolio date.
    terms = {t.dossier_id: t for t in read_dossiers(wh, dt.date(2026, 11, 30))}
    assert terms["D202611-000005"].portfolio_date == DAY and terms["D202611-000001"].portfolio_date == NOV

    # A re-run before publication rewrites the same top-up.
    before = wh.query("SELECT * FROM core.dossier ORDER BY 1"), wh.query("SELECT * FROM core.dossier_period "
                                                                         "ORDER BY 1, 2, 3")
    top_up_month(wh, lake, settings, NOV, DAY, seed=1)
    assert (wh.query("SELECT * FROM core.dossier ORDER BY 1"),
            wh.query("SELECT * FROM core.dossier_period ORDER BY 1, 2, 3")) == before

    # Published: each agency concerned gets CNSS_ASSIGN_<AG>_202611_02 with the top-up's dossiers only.
    second = build_packages(wh, NOV, out / "second", selection_seq=2)
    assert {p.seq for p in second} == {2}
    names = sorted(f.name for p in second for f in p.all_files)
    agencies = sorted({r[2] for r in top})
    assert names == sorted(n for a in agencies for n in (f"CNSS_ASSIGN_{a}_202611_02.csv",
                                                         f"CNSS_ASSIGN_{a}_202611_02.manifest.json",
                                                         f"CNSS_DETAIL_{a}_202611_02.csv"))
    in_02 = {r["dossier_id"] for p in second for r in _rows(p.files[0].path)}
    in_01 = {r["dossier_id"] for p in first for r in _rows(p.files[0].path)}
    assert in_02 == {"D202611-000005", "D202611-000006"} and not in_01 & in_02
    assert all(r["assignment_start"] == "2026-11-16" for p in second for r in _rows(p.files[0].path))
    assert {r["dossier_id"] for p in second for r in _rows(p.files[1].path)} == in_02  # the detail too
    recorded = record_publication(wh, [_published(p, "2026-11-16T07:00:00Z") for p in second])
    assert recorded.dossiers_published == 2

    # Idempotent once published: a re-run (any day) changes nothing, no third SEQ, the files the same.
    again = top_up_month(wh, lake, settings, NOV, DAY, seed=1)
    assert again.frozen and again.selected == 2 and again.on == "2026-11-16"
    later = top_up_month(wh, lake, settings, NOV, dt.date(2026, 11, 20), seed=1)
    assert later.frozen and any("topped up on 2026-11-16 already" in w for w in later.warnings)
    assert wh.query("SELECT count(*) FROM core.dossier") == [(6,)]
    # Rebuilding the whole month (a re-run of assignment_monthly) gives _01 and _02 as they were sent.
    every = build_packages(wh, NOV, out / "every")
    assert sorted((p.agency, p.seq) for p in every) == sorted(
        [(p.agency, 1) for p in first] + [(p.agency, 2) for p in second])
    assert {f.name: Path(f.path).read_bytes() for p in every for f in p.files if p.seq == 1} == sent_01
    assert {f.name: Path(f.path).read_bytes() for p in every for f in p.files if p.seq == 2} == {
        f.name: Path(f.path).read_bytes() for p in second for f in p.files}
    # The month's own selection stays frozen with its 4 dossiers.
    frozen = select_and_allocate(wh, lake, settings, NOV, seed=1)
    assert frozen.frozen and frozen.selected == 4
    # Coverage counts each debtor once, as its latest run decided it: 7 debtors, 6 placed by the month.
    cover = wh.query(query("kpi/select_portfolio_month"), [NOV, dt.date(2026, 11, 30)])
    assert sum(r[3] for r in cover) == 7


def test_a_month_with_no_shortfall_tops_up_nothing_and_says_so(world, tmp_path: Path) -> None:
    wh, lake = world
    settings = _settings(tmp_path, per_month=3)
    _build(wh, lake, [_debtor(i, 10_000 * i) for i in range(1, 5)])
    select_and_allocate(wh, lake, settings, NOV, seed=1)
    wh.execute("UPDATE core.dossier SET status = 'PUBLISHED'")
    report = top_up_month(wh, lake, settings, NOV, DAY, seed=1)
    assert report.nothing == "no shortfall: the month's selection placed 3 of 3 dossiers"
    assert report.selected == 0 and "nothing topped up" in report.summary()
    assert wh.query("SELECT selection_seq FROM core.selection_run") == [(1,)]
    assert wh.query("SELECT count(*) FROM core.dossier") == [(3,)]
    assert build_packages(wh, NOV, tmp_path / "out", selection_seq=2) == []


def test_a_top_up_needs_a_published_month_and_a_later_day_of_it(world, tmp_path: Path) -> None:
    wh, lake = world
    settings = _short_month(wh, lake, tmp_path)
    with pytest.raises(SelectionError, match=r"2026-11 not published yet \(4 dossiers ALLOCATED"):
        top_up_month(wh, lake, settings, NOV, DAY, seed=1)
    wh.execute("UPDATE core.dossier SET status = 'PUBLISHED'")
    for day in (NOV, dt.date(2026, 12, 1)):
        with pytest.raises(SelectionError, match="the day must fall within the month, after its first day"):
            top_up_month(wh, lake, settings, NOV, day, seed=1)
    with pytest.raises(SelectionError, match="no selection of 2026-12 to top up"):
        top_up_month(wh, lake, settings, dt.date(2026, 12, 1), dt.date(2026, 12, 5), seed=1)


def test_a_retired_agency_gets_nothing_from_a_top_up(world, tmp_path: Path) -> None:
    wh, lake = world
    agencies = [_agency("A1", list(REGIONS), 2), _agency("A2", list(REGIONS), 4),
                {**_agency("A3", list(REGIONS), 4), "retired_on": "2026-11-10"}]
    settings = _settings(tmp_path, per_month=6, performance={"rule": "capacity", "min_share": "0.0"},
                         agencies=agencies)
    _build(wh, lake, [_debtor(i, 10_000 * i) for i in range(1, 5)])
    select_and_allocate(wh, lake, settings, NOV, seed=1)  # A3 still works on 1 November
    wh.execute("UPDATE core.dossier SET status = 'PUBLISHED'")
    _build(wh, lake, [_debtor(i, 10_000 * i) for i in (5, 6, 7)], as_of=DAY)
    report = top_up_month(wh, lake, settings, NOV, DAY, seed=1)
    assert "A3" not in report.agencies and report.selected >= 1
    assert wh.query("SELECT count(*) FROM core.dossier WHERE assignment_start = ? AND agency_code = 'A3'",
                    [DAY]) == [(0,)]

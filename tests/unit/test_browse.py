"""recouvra.browse: which files the UI lists and serves, and that nothing outside their folders is."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest

from recouvra.browse import (
    Folders,
    data_docs_file,
    data_docs_sites,
    monthly_reports,
    render_index,
    render_missing_summary,
    render_summary_page,
    report_file,
    resolve_under,
    run_summaries,
    run_summary_file,
    validation_pages,
)
from recouvra.config import DEFAULT_CONFIG, load_settings
from recouvra.operations import RunFacts, TaskOutcome, write_run_summary
from recouvra.quality import data_docs_site

RUN_ID = "scheduled__2026-07-01T00:00:00+00:00"


def _write(path: Path, text: str = "x", age_s: int = 0) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    when = 1_700_000_000 - age_s
    os.utime(path, (when, when))
    return path


@pytest.fixture()
def folders(tmp_path: Path) -> Folders:
    """Two reports, two Data Docs sites (older and newer), run summaries of two DAGs, and a secret
    file beside the folders that nothing may serve."""
    f = Folders(tmp_path / "data" / "reports", tmp_path / "data" / "gx", tmp_path / "data" / "runs")
    _write(f.reports / "report_2026-07.html", "<h1>July</h1>", age_s=200)
    _write(f.reports / "report_2026-08.html", "<h1>August</h1>", age_s=100)
    _write(f.reports / "report_2026-09.html.part", "half")
    _write(f.reports / "report_2026-13.html", "no such month")
    _write(f.reports / "notes.txt", "not a report")
    for run, age in (
        ("scheduled__2026-07-02T01_00_00_00_00", 300),
        ("scheduled__2026-08-02T01_00_00_00_00", 50),
    ):
        site = data_docs_site(f.data_docs / run)
        _write(site / "index.html", f"<h1>{run}</h1>", age_s=age)
        gx_run = run.replace("T01_00_00_00_00", "T01:00:00+00:00")  # GX keeps the run id as is
        _write(
            site
            / "validations"
            / "employers"
            / "rows"
            / gx_run
            / "20261203T094036Z"
            / "lake-employers.rows.html",
            "validation page",
            age_s=age,
        )
        _write(site / "static" / "styles" / "data_docs.css", "body{}", age_s=age)
    _write(f.data_docs / "scheduled__2026-07-02T01_00_00_00_00" / "gx" / "great_expectations.yml", "config")
    for dag_id, run_id, state, age in (
        ("kpi_load", RUN_ID, "success", 400),
        ("kpi_load", "scheduled__2026-08-01T00:00:00+00:00", "failed", 40),
        ("portfolio_extract", "manual__2026-08-02T01:00:00+00:00", "success", 30),
    ):
        facts = RunFacts(dag_id, run_id, state, run_id[-25:-18], None, None, [TaskOutcome("load", state)])
        written = write_run_summary(facts, f.runs)
        os.utime(written, (1_700_000_000 - age, 1_700_000_000 - age))
    _write(tmp_path / "data" / "secret.txt", "the warehouse password")
    return f


@pytest.mark.parametrize(
    "relative",
    [
        "../secret.txt",
        "report_2026-07.html/../../secret.txt",
        "/etc/passwd",
        "..\\secret.txt",
        ".hidden",
        "sub/.git/config",
        "",
        ".",
        "report_2026-09.html.part",
        "report_2026-07.html\x00.png",
        "missing.html",
        "linked_out.html",
    ],
)
def test_resolve_under_refuses_anything_but_a_file_inside_its_folder(folders: Folders, relative: str) -> None:
    _write(folders.reports / ".hidden", "hidden")
    _write(folders.reports / "sub" / ".git" / "config", "hidden")
    (folders.reports / "linked_out.html").symlink_to(folders.reports.parent / "secret.txt")
    assert resolve_under(folders.reports, relative) is None


def test_resolve_under_serves_files_inside_and_symlinks_that_stay_inside(folders: Folders) -> None:
    (folders.reports / "latest.html").symlink_to(folders.reports / "report_2026-08.html")
    assert (
        resolve_under(folders.reports, "report_2026-07.html")
        == (folders.reports / "report_2026-07.html").resolve()
    )
    assert (
        resolve_under(folders.reports, "latest.html") == (folders.reports / "report_2026-08.html").resolve()
    )
    assert resolve_under(folders.reports, "./report_2026-07.html") == resolve_under(
        folders.reports, "report_2026-07.html"
    )
    assert resolve_under(folders.reports.parent, "reports") is None  # a folder is not a file


def test_monthly_reports_newest_month_first_ignoring_other_files(folders: Folders) -> None:
    reports = monthly_reports(folders.reports)
    assert [(r.label, r.file.name) for r in reports] == [
        ("2026-08", "report_2026-08.html"),
        ("2026-07", "report_2026-07.html"),
    ]
    assert reports[0].written == dt.datetime.fromtimestamp(1_700_000_000 - 100, dt.UTC)
    assert monthly_reports(folders.reports / "none") == []


@pytest.mark.parametrize(
    ("month", "found"),
    [
        ("2026-07", "report_2026-07.html"),
        ("2026-09", None),
        ("2026-13", None),
        ("2026-7", None),
        ("../x", None),
    ],
)
def test_report_file_by_month(folders: Folders, month: str, found: str | None) -> None:
    path = report_file(folders.reports, month)
    assert (path.name if path else None) == found


def test_data_docs_latest_first_and_only_the_site_is_served(folders: Folders) -> None:
    sites = data_docs_sites(folders.data_docs)
    assert [s.run for s in sites] == [
        "scheduled__2026-08-02T01_00_00_00_00",
        "scheduled__2026-07-02T01_00_00_00_00",
    ]
    run = sites[1].run
    index = data_docs_file(folders.data_docs, run, "")
    assert index is not None and index.read_text(encoding="utf-8") == f"<h1>{run}</h1>"
    page = data_docs_file(
        folders.data_docs,
        run,
        "validations/employers/rows/scheduled__2026-07-02T01:00:00+00:00/20261203T094036Z/lake-employers.rows.html",
    )
    assert page is not None and page.read_text(encoding="utf-8") == "validation page"
    # The GX project around the site (configuration, raw results) is not served, nor anything else.
    assert data_docs_file(folders.data_docs, run, "../../great_expectations.yml") is None
    assert data_docs_file(folders.data_docs, "..", "secret.txt") is None
    assert data_docs_file(folders.data_docs, "../data", "index.html") is None
    assert data_docs_file(folders.data_docs, "no_such_run", "index.html") is None
    assert data_docs_sites(folders.data_docs / "none") == []
    assert [suite for suite, _ in validation_pages(sites[0])] == ["employers.rows"]


def test_run_summaries_per_dag_newest_first_found_by_airflow_run_id(folders: Folders) -> None:
    found = run_summaries(folders.runs)
    assert {d: [r.run for r in runs] for d, runs in found.items()} == {
        "kpi_load": ["scheduled__2026-08-01T00_00_00_00_00", "scheduled__2026-07-01T00_00_00_00_00"],
        "portfolio_extract": ["manual__2026-08-02T01_00_00_00_00"],
    }
    path = run_summary_file(folders.runs, "kpi_load", RUN_ID)  # as the UI's {RUN_ID} gives it
    assert path is not None and path.read_text(encoding="utf-8").startswith("# kpi_load — SUCCESS")
    assert run_summary_file(folders.runs, "kpi_load", "scheduled__2026-07-01T00_00_00_00_00") == path
    assert run_summary_file(folders.runs, "kpi_load", "manual__1999-01-01T00:00:00+00:00") is None
    assert run_summary_file(folders.runs, "..", "secret") is None
    assert run_summary_file(folders.runs, "kpi_load/../..", "secret") is None
    assert len(run_summaries(folders.runs, per_dag=1)["kpi_load"]) == 1


def test_the_index_lists_months_data_docs_and_runs_with_relative_links(folders: Folders) -> None:
    page = render_index(folders)
    assert '<a href="reports/2026-08">2026-08</a>' in page
    assert '<a href="reports/2026-07">2026-07</a>' in page
    assert "2026-09" not in page and "2026-13" not in page
    assert '<a href="data-docs/latest/">Latest Data Docs</a>' in page
    assert "scheduled__2026-08-02T01_00_00_00_00" in page  # the latest site's run
    assert 'href="data-docs/scheduled__2026-07-02T01_00_00_00_00/index.html"' in page
    assert 'href="runs/portfolio_extract/manual__2026-08-02T01_00_00_00_00"' in page
    # The latest run's validation pages, linked directly (GX's own index needs scripts from CDNs).
    assert (
        '<a href="data-docs/scheduled__2026-08-02T01_00_00_00_00/validations/employers/rows/'
        'scheduled__2026-08-02T01%3A00%3A00%2B00%3A00/20261203T094036Z/lake-employers.rows.html">employers.rows</a>'
    ) in page
    assert 'href="/' not in page  # relative only: the app is mounted under a prefix


def test_the_index_of_a_fresh_install_says_what_will_appear(tmp_path: Path) -> None:
    page = render_index(Folders(tmp_path / "r", tmp_path / "g", tmp_path / "u"))
    assert "No monthly report yet" in page and "No Data Docs yet" in page and "No run summary yet" in page


def test_a_summary_page_renders_markdown_and_escapes_html() -> None:
    md = (
        "# kpi_load — SUCCESS\n\n- month: 2026-07\n\n| file | rows |\n|---|---:|\n"
        "| <script>alert(1)</script>.csv | 12 |\n\n[log](javascript:alert(1)) [ok](http://127.0.0.1/log)\n"
    )
    page = render_summary_page(md, "kpi_load run")
    assert "<h1>kpi_load — SUCCESS</h1>" in page and "<td>12</td>" in page.replace(
        ' style="text-align:right"', ""
    )
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;.csv" in page
    assert 'href="javascript:' not in page and 'href="http://127.0.0.1/log"' in page
    missing = render_missing_summary("kpi_load", "<b>x</b>")
    assert "&lt;b&gt;x&lt;/b&gt;" in missing and "written when the run ends" in missing


def test_folders_follow_the_configuration() -> None:
    s = load_settings(
        DEFAULT_CONFIG,
        environ={"RECOUVRA__STORAGE__LAKE_DIR": "/srv/x/lake", "RECOUVRA__STORAGE__REPORTS_DIR": "/srv/r"},
    )
    assert Folders.of(s) == Folders(Path("/srv/r"), Path("/srv/x/gx"), Path("/srv/x/runs"))

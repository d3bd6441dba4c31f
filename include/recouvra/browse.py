"""What the pipeline wrote, for reading in the Airflow UI: monthly reports, Data Docs, run summaries.

The UI plugin (``plugins/recouvra_views.py``, its app in :mod:`recouvra.airflow_adapter.views`) lists
and serves these files read-only; what decides *which* file lives here:

- :class:`Folders`: where they are, from the configuration (``storage.reports_dir``; ``gx/`` and
  ``runs/`` beside the lake, where the quality gate and the run-summary listener write them);
- listings: :func:`monthly_reports` (newest month first), :func:`data_docs_sites` (newest first, one GX
  project per extraction run), :func:`run_summaries` (per DAG, newest first);
- one rule of serving, :func:`resolve_under`: a requested path is a regular file inside its folder, or
  nothing (no ``..``, no absolute path, no symlink leading out, no hidden or half-written file);
- pages: :func:`render_index` (the list) and :func:`render_summary_page` (a run summary's Markdown as
  HTML, raw HTML in it escaped). Links are relative, so the pages work under any URL prefix.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from html import escape
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING
from urllib.parse import quote

from recouvra.operations import RUNS_DIR_NAME, safe_name
from recouvra.quality import DATA_DOCS_DIR_NAME, data_docs_site
from recouvra.report import report_path

if TYPE_CHECKING:
    from recouvra.config import Settings

_REPORT_NAME = re.compile(r"^report_(\d{4})-(\d{2})\.html$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
#: A folder name made by the pipeline itself (a DAG id, a run key): no separator, no leading dot.
_PLAIN_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._-]*$")
#: Run summaries listed per DAG on the index page (all stay readable by their URL).
SUMMARIES_PER_DAG = 12
#: Earlier Data Docs sites listed under the latest one.
DATA_DOCS_LISTED = 12

STYLE = """
body{font-family:"DejaVu Sans",Arial,Helvetica,sans-serif;margin:20px auto;max-width:1000px;color:#1d2733;
 line-height:1.4;padding:0 12px}h1{font-size:21px;margin:0 0 6px}h2{font-size:16px;margin:24px 0 8px;
 border-bottom:2px solid #dfe5ec;padding-bottom:3px}table{border-collapse:collapse;font-size:13px;width:100%}
th,td{padding:4px 6px;border-bottom:1px solid #e6ebf0;text-align:left;vertical-align:top}
th{background:#f4f6f9}.sub,.empty{color:#5b6b7c;font-size:13px}.empty{font-style:italic}
code{font-size:12px;background:#f4f6f9;padding:0 3px}a{color:#1f5fa8}
"""


@dataclass(frozen=True)
class Folders:
    """Where the readable outputs live."""

    reports: Path
    data_docs: Path  # <data>/gx/<run key>/: one GX project per extraction run
    runs: Path  # <data>/runs/<dag_id>/<run>.md

    @classmethod
    def of(cls, settings: Settings) -> Folders:
        """The configured folders: ``storage.reports_dir``; ``gx/`` and ``runs/`` beside the lake."""
        data = settings.path(settings.storage.lake_dir).parent
        reports = settings.path(settings.storage.reports_dir)
        return cls(reports, data / DATA_DOCS_DIR_NAME, data / RUNS_DIR_NAME)


@dataclass(frozen=True)
class MonthReport:
    month: dt.date
    file: Path
    written: dt.datetime

    @property
    def label(self) -> str:
        return f"{self.month:%Y-%m}"


@dataclass(frozen=True)
class DataDocsSite:
    run: str  # the extraction run's folder under gx/
    index: Path
    written: dt.datetime


@dataclass(frozen=True)
class RunSummary:
    dag_id: str
    run: str  # the file's stem: the run id made fit for a file name
    file: Path
    written: dt.datetime


def _written(path: Path) -> dt.datetime:
    return dt.datetime.fromtimestamp(path.stat().st_mtime, dt.UTC)


def resolve_under(root: Path, relative: str) -> Path | None:
    """The regular file ``relative`` names inside ``root``, or None.

    Refused: an empty or absolute path, a backslash or NUL, any ``.``/``..`` or hidden part, a
    ``.part`` file (being written), anything that resolves (symlinks followed) outside ``root``.
    """
    if not relative or "\\" in relative or "\x00" in relative:
        return None
    rel = PurePosixPath(relative)
    if rel.is_absolute() or any(part.startswith(".") for part in rel.parts):
        return None
    try:
        base = root.resolve(strict=True)
        target = (base / rel).resolve(strict=True)
    except (OSError, RuntimeError):  # missing, or a symlink loop
        return None
    if not target.is_relative_to(base) or not target.is_file() or target.name.endswith(".part"):
        return None
    return target


def monthly_reports(folder: Path) -> list[MonthReport]:
    """The reports in ``folder`` (``report_<YYYY-MM>.html``), newest month first."""
    if not folder.is_dir():
        return []
    found = []
    for path in folder.iterdir():
        m = _REPORT_NAME.match(path.name)
        if m and 1 <= int(m.group(2)) <= 12 and path.is_file():
            found.append(MonthReport(dt.date(int(m.group(1)), int(m.group(2)), 1), path, _written(path)))
    return sorted(found, key=lambda r: r.month, reverse=True)


def report_file(folder: Path, month: str) -> Path | None:
    """The report of ``month`` (``YYYY-MM``) when it was rendered, else None."""
    m = _MONTH.match(month)
    if not m or not 1 <= int(m.group(2)) <= 12:
        return None
    return resolve_under(folder, report_path(Path(), dt.date(int(m.group(1)), int(m.group(2)), 1)).name)


def data_docs_sites(root: Path) -> list[DataDocsSite]:
    """The Data Docs sites under ``root`` (``<data>/gx``), the most recently built first."""
    if not root.is_dir():
        return []
    found = []
    for project in root.iterdir():
        index = data_docs_site(project) / "index.html"
        if _PLAIN_NAME.match(project.name) and index.is_file():
            found.append(DataDocsSite(project.name, index, _written(index)))
    return sorted(found, key=lambda s: (s.written, s.run), reverse=True)


def validation_pages(site: DataDocsSite) -> list[tuple[str, str]]:
    """``(suite, path relative to the site)`` of every validation result page of a site, by suite.

    GX's index fills its lists with scripts fetched from CDNs (empty when the browser is offline);
    these pages are plain HTML, so the UI links them directly.
    """
    folder = site.index.parent
    pages = []
    for page in sorted((folder / "validations").rglob("*.html")):
        rel = page.relative_to(folder)
        suite = ".".join(rel.parts[1:-3]) or page.stem  # validations/<suite parts>/<run>/<time>/<page>
        pages.append((suite, rel.as_posix()))
    return pages


def data_docs_file(root: Path, run: str, relative: str) -> Path | None:
    """A file of the Data Docs site of extraction run ``run`` (``index.html`` by default), or None."""
    if not _PLAIN_NAME.match(run):
        return None
    site = data_docs_site(root / run)
    return resolve_under(site, relative or "index.html")


def run_summaries(folder: Path, per_dag: int | None = SUMMARIES_PER_DAG) -> dict[str, list[RunSummary]]:
    """The run summaries in ``folder`` (``<dag_id>/<run>.md``) per DAG id (sorted), newest first."""
    if not folder.is_dir():
        return {}
    out: dict[str, list[RunSummary]] = {}
    for dag_dir in sorted(folder.iterdir()):
        if not (_PLAIN_NAME.match(dag_dir.name) and dag_dir.is_dir()):
            continue
        runs = [
            RunSummary(dag_dir.name, f.stem, f, _written(f))
            for f in dag_dir.glob("*.md")
            if _PLAIN_NAME.match(f.name) and f.is_file()
        ]
        if runs:
            runs.sort(key=lambda r: (r.written, r.run), reverse=True)
            out[dag_dir.name] = runs[:per_dag] if per_dag else runs
    return out


def run_summary_file(folder: Path, dag_id: str, run_id: str) -> Path | None:
    """The summary of run ``run_id`` (as Airflow names it, or its file stem) of ``dag_id``, or None."""
    if not _PLAIN_NAME.match(dag_id):
        return None
    return resolve_under(folder, f"{dag_id}/{safe_name(run_id)}.md")


def _page(title: str, body: str) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title><style>{STYLE}</style></head><body>{body}</body></html>\n"
    )


def _when(t: dt.datetime) -> str:
    return f"{t:%Y-%m-%d %H:%M} UTC"


def _reports_section(reports: list[MonthReport]) -> str:
    if not reports:
        return '<p class="empty">No monthly report yet: <code>kpi_load</code> renders one per month.</p>'
    rows = "".join(
        f'<tr><td><a href="reports/{r.label}">{r.label}</a></td>'
        f"<td><code>{escape(r.file.name)}</code></td><td>{_when(r.written)}</td></tr>"
        for r in reports
    )
    return f"<table><tr><th>month</th><th>file</th><th>written</th></tr>{rows}</table>"


def _data_docs_section(sites: list[DataDocsSite]) -> str:
    if not sites:
        return (
            '<p class="empty">No Data Docs yet: the quality gate of <code>portfolio_extract</code> '
            "builds them on every run that extracted something.</p>"
        )
    latest, earlier = sites[0], sites[1:DATA_DOCS_LISTED]
    out = (
        f'<p><a href="data-docs/latest/">Latest Data Docs</a> (run <code>{escape(latest.run)}</code>, '
        f"built {_when(latest.written)})</p>"
    )
    pages = validation_pages(latest)
    if pages:
        base = f"data-docs/{quote(latest.run)}/"
        out += (
            "<p>Its validation results: "
            + ", ".join(f'<a href="{escape(base + quote(rel))}">{escape(suite)}</a>' for suite, rel in pages)
            + "</p>"
        )
    if earlier:
        out += (
            "<table><tr><th>extraction run</th><th>built</th></tr>"
            + "".join(
                f'<tr><td><a href="data-docs/{escape(s.run)}/index.html">{escape(s.run)}</a></td>'
                f"<td>{_when(s.written)}</td></tr>"
                for s in earlier
            )
            + "</table>"
        )
    return out


def _runs_section(summaries: dict[str, list[RunSummary]]) -> str:
    if not summaries:
        return '<p class="empty">No run summary yet: one is written when a DAG run ends.</p>'
    rows = []
    for dag_id, runs in summaries.items():
        links = ", ".join(
            f'<a href="runs/{escape(dag_id)}/{escape(r.run)}">{escape(r.run)}</a>' for r in runs
        )
        rows.append(f"<tr><td><code>{escape(dag_id)}</code></td><td>{links}</td></tr>")
    return "<table><tr><th>DAG</th><th>latest runs, newest first</th></tr>" + "".join(rows) + "</table>"


def render_index(folders: Folders) -> str:
    """The page the UI opens: the months with a report, the Data Docs, the run summaries."""
    body = [
        "<h1>Recouvra: what the pipeline wrote</h1>",
        '<p class="sub">Read-only. The monthly report of each month that <code>kpi_load</code> rendered, '
        "the Data Docs of the extraction's quality gate, and the summary of every finished DAG run "
        "(also on each run's page, tab <em>Run summary</em>).</p>",
        "<h2>Monthly reports</h2>",
        _reports_section(monthly_reports(folders.reports)),
        "<h2>Data quality (Great Expectations Data Docs)</h2>",
        _data_docs_section(data_docs_sites(folders.data_docs)),
        "<h2>Run summaries</h2>",
        _runs_section(run_summaries(folders.runs)),
    ]
    return _page("Recouvra", "\n".join(body))


def render_summary_page(markdown: str, title: str) -> str:
    """A run summary (Markdown, ``recouvra.operations.render_run_summary``) as an HTML page; any raw
    HTML in it (a file name sent by an agency, say) is shown as text, and unsafe link schemes dropped."""
    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")
    return _page(title, md.render(markdown))


def render_missing_summary(dag_id: str, run_id: str) -> str:
    """What a run's tab shows before its summary exists."""
    return _page(
        "No run summary yet",
        f'<h1>No summary of this run yet</h1><p class="sub">Run <code>{escape(run_id)}</code> of '
        f"<code>{escape(dag_id)}</code>: the summary is written when the run ends (success or failure).</p>",
    )

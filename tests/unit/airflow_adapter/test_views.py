"""recouvra.airflow_adapter.views: the UI plugin's app serves the outputs read-only, behind Airflow's login,
and nothing outside their folders; its UI entries are what Airflow 3.3 accepts."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from recouvra.airflow_adapter.views import EXTERNAL_VIEWS, URL_PREFIX, create_app, signed_in
from recouvra.browse import Folders
from recouvra.operations import RunFacts, TaskOutcome, write_run_summary
from recouvra.quality import data_docs_site

RUN_ID = "scheduled__2026-07-01T00:00:00+00:00"
GX_RUN = "scheduled__2026-07-02T01_00_00_00_00"


@pytest.fixture()
def folders(tmp_path: Path) -> Folders:
    f = Folders(tmp_path / "data" / "reports", tmp_path / "data" / "gx", tmp_path / "data" / "runs")
    f.reports.mkdir(parents=True)
    (f.reports / "report_2026-07.html").write_text("<h1>Recouvra July</h1>", encoding="utf-8")
    site = data_docs_site(f.data_docs / GX_RUN)
    (site / "static").mkdir(parents=True)
    (site / "index.html").write_text('<link href="static/s.css"><h1>Data Docs</h1>', encoding="utf-8")
    (site / "static" / "s.css").write_text("body{}", encoding="utf-8")
    (f.data_docs / GX_RUN / "gx" / "great_expectations.yml").write_text("config", encoding="utf-8")
    facts = RunFacts(
        "kpi_load", RUN_ID, "success", "2026-07", None, None, [TaskOutcome("render_report", "success")]
    )
    write_run_summary(facts, f.runs)
    (tmp_path / "data" / "secret.txt").write_text("the warehouse password", encoding="utf-8")
    os.symlink(tmp_path / "data" / "secret.txt", f.reports / "report_2026-08.html")
    return f


@pytest.fixture()
def client(folders: Folders) -> TestClient:
    app = create_app(lambda: folders)
    app.dependency_overrides[signed_in] = lambda: None  # signed in (Airflow's check is tested below)
    return TestClient(app)


def test_nothing_is_served_without_an_airflow_login(folders: Folders) -> None:
    anonymous = TestClient(create_app(lambda: folders))
    for path in ("/", "/reports/2026-07", f"/data-docs/{GX_RUN}/index.html", f"/runs/kpi_load/{RUN_ID}"):
        answer = anonymous.get(path)
        assert answer.status_code == 401, path
        assert "Recouvra July" not in answer.text and "Data Docs" not in answer.text


def test_the_index_lists_the_month_data_docs_and_runs(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert '<a href="reports/2026-07">2026-07</a>' in page.text
    assert '<a href="data-docs/latest/">Latest Data Docs</a>' in page.text
    assert 'href="runs/kpi_load/scheduled__2026-07-01T00_00_00_00_00"' in page.text


def test_the_report_of_a_month_is_served_as_written(client: TestClient) -> None:
    answer = client.get("/reports/2026-07")
    assert answer.status_code == 200 and answer.text == "<h1>Recouvra July</h1>"
    assert answer.headers["content-type"] == "text/html; charset=utf-8"
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert client.get("/reports/2026-09").status_code == 404


def test_latest_data_docs_redirect_to_the_site_whose_files_are_served(client: TestClient) -> None:
    answer = client.get("/data-docs/latest/", follow_redirects=False)
    assert answer.status_code == 307 and answer.headers["location"] == f"../{GX_RUN}/index.html"
    followed = client.get("/data-docs/latest/")
    assert followed.status_code == 200 and "<h1>Data Docs</h1>" in followed.text
    assert client.get(f"/data-docs/{GX_RUN}/static/s.css").text == "body{}"


@pytest.mark.parametrize(
    "path",
    [
        "/reports/..%2Fsecret.txt",
        "/reports/2026-08",  # a symlink leading out of the reports folder
        f"/data-docs/{GX_RUN}/..%2F..%2Fgreat_expectations.yml",
        f"/data-docs/{GX_RUN}/%2E%2E/%2E%2E/great_expectations.yml",
        f"/data-docs/{GX_RUN}/%2Fetc%2Fpasswd",
        "/data-docs/..%2F..%2Fdata/secret.txt",
        "/data-docs/%2E%2E/secret.txt",
        "/runs/..%2F..%2Fdata/secret",
        "/runs/kpi_load/..%2F..%2Fsecret",
    ],
)
def test_no_path_leaves_the_configured_folders(client: TestClient, path: str) -> None:
    answer = client.get(path)
    assert answer.status_code == 404, path
    assert "warehouse password" not in answer.text and "config" != answer.text


def test_a_run_summary_is_found_by_the_run_id_the_ui_gives(client: TestClient) -> None:
    answer = client.get("/runs/kpi_load/scheduled__2026-07-01T00%3A00%3A00%2B00%3A00")  # encodeURIComponent
    assert answer.status_code == 200
    assert "<h1>kpi_load — SUCCESS</h1>" in answer.text and "render_report" in answer.text
    missing = client.get("/runs/kpi_load/manual__2026-09-01T00%3A00%3A00%2B00%3A00")
    assert missing.status_code == 404 and "written when the run ends" in missing.text


def test_read_only(client: TestClient) -> None:
    for method in ("post", "put", "delete"):
        assert getattr(client, method)("/reports/2026-07").status_code == 405
    assert client.get("/docs").status_code == 404 and client.get("/openapi.json").status_code == 404


def test_the_ui_entries_are_what_airflow_accepts() -> None:
    from airflow.api_fastapi.app import RESERVED_URL_PREFIXES
    from airflow.api_fastapi.core_api.datamodels.plugins import ExternalViewResponse

    assert not any(URL_PREFIX.startswith(p) for p in RESERVED_URL_PREFIXES)
    views = [ExternalViewResponse.model_validate(v) for v in EXTERNAL_VIEWS]
    assert {v.destination for v in views} == {"nav", "dag_run"}
    for v in views:
        assert v.url_route and v.href.startswith(URL_PREFIX.lstrip("/") + "/"), (
            "relative to the UI's base URL"
        )
    run_tab = next(v for v in views if v.destination == "dag_run")
    assert "{DAG_ID}" in run_tab.href and "{RUN_ID}" in run_tab.href

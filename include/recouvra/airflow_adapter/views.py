"""The read-only web app the Airflow UI shows: monthly reports, Data Docs, run summaries.

``plugins/recouvra_views.py`` mounts :func:`create_app` in the api-server under :data:`URL_PREFIX` and
adds the UI entries (:data:`EXTERNAL_VIEWS`): a *Recouvra* page in the navigation and a *Run summary*
tab on every DAG run. Which file answers a URL is decided by :mod:`recouvra.browse` (only files inside
the configured folders); this module only maps URLs to it. Every route requires an Airflow login (the
UI's session cookie or a bearer token, checked by Airflow itself) and only GET exists.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response

from recouvra.browse import (
    Folders,
    data_docs_file,
    data_docs_sites,
    render_index,
    render_missing_summary,
    render_summary_page,
    report_file,
    run_summary_file,
)

if TYPE_CHECKING:
    from collections.abc import Callable

#: Where the app is mounted in the api-server (not one of Airflow's reserved prefixes).
URL_PREFIX = "/recouvra"
#: The UI entries. ``href`` is relative to the UI's base URL (no leading slash: works behind a prefix);
#: a ``dag_run`` view's ``{DAG_ID}``/``{RUN_ID}`` are filled in by the UI.
EXTERNAL_VIEWS: list[dict[str, Any]] = [
    {
        "name": "Recouvra reports",
        "href": "recouvra/",
        "url_route": "recouvra",
        "destination": "nav",
        "category": "Browse",
    },
    {
        "name": "Run summary",
        "href": "recouvra/runs/{DAG_ID}/{RUN_ID}",
        "url_route": "recouvra-run-summary",
        "destination": "dag_run",
    },
]
_HEADERS = {"X-Content-Type-Options": "nosniff", "Cache-Control": "no-cache"}


async def signed_in(request: Request) -> None:
    """Airflow's own authentication: a valid JWT in the UI's cookie or a bearer header, else 401/403.

    Airflow's security module is imported here, at the first request, not when plugins load: every
    component (scheduler, task runners) imports the plugins folder, only the api-server serves this.
    """
    from airflow.api_fastapi.core_api.security import bearer_scheme, get_user

    await get_user(request, None, await bearer_scheme(request))


def default_folders() -> Folders:
    """The configured folders (loaded once per process)."""
    from recouvra.airflow_adapter.runtime import settings

    return Folders.of(settings())


def _not_found(what: str) -> HTTPException:
    return HTTPException(status_code=404, detail=f"{what}: not found")


def create_app(folders: Callable[[], Folders] = default_folders) -> FastAPI:
    """The app; ``folders`` is called per request (tests pass their own)."""
    app = FastAPI(
        title="Recouvra outputs",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        dependencies=[Depends(signed_in)],
    )

    @app.get("/", response_class=HTMLResponse)
    def index() -> HTMLResponse:
        return HTMLResponse(render_index(folders()), headers=_HEADERS)

    @app.get("/reports/{month}")
    def report(month: str) -> FileResponse:
        path = report_file(folders().reports, month)
        if path is None:
            raise _not_found(f"report of {month}")
        return FileResponse(path, media_type="text/html; charset=utf-8", headers=_HEADERS)

    @app.get("/data-docs/latest/")
    def latest_data_docs() -> RedirectResponse:
        sites = data_docs_sites(folders().data_docs)
        if not sites:
            raise _not_found("Data Docs (no extraction run has built any yet)")
        # Relative: the site's own relative links then resolve under its run's folder.
        return RedirectResponse(f"../{sites[0].run}/index.html", status_code=307, headers=_HEADERS)

    @app.get("/data-docs/{run}/{relative:path}")
    def data_docs(run: str, relative: str) -> FileResponse:
        path = data_docs_file(folders().data_docs, run, relative)
        if path is None:
            raise _not_found(f"Data Docs file {relative!r} of run {run!r}")
        return FileResponse(path, headers=_HEADERS)

    @app.get("/runs/{dag_id}/{run_id}", response_class=HTMLResponse)
    def run_summary(dag_id: str, run_id: str) -> Response:
        path = run_summary_file(folders().runs, dag_id, run_id)
        if path is None:
            return HTMLResponse(render_missing_summary(dag_id, run_id), status_code=404, headers=_HEADERS)
        page = render_summary_page(path.read_text(encoding="utf-8"), f"{dag_id} {run_id}")
        return HTMLResponse(page, headers=_HEADERS)

    return app

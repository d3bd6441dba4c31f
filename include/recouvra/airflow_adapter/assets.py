"""Every asset of the pipeline, defined once, and the rules of the events the DAGs emit on them.

**Identity.** Airflow keys an asset, its events and the runs they trigger by name *and* URI. The URIs
are standard ones that the installed providers check, normalise and turn into OpenLineage datasets:
``file://`` for the lake (apache-airflow-providers-common-io), ``postgres://host:port/database/schema/
table`` for the warehouse (apache-airflow-providers-postgres). They name where the production deployment
(``docker-compose.yaml``) keeps the data: the lake at ``/opt/airflow/data/lake``, the warehouse in
database ``warehouse`` of ``warehouse-db:5432``. A URI is an identity, not an address the code opens
(tasks find the lake and the warehouse through the configuration and the connections), so it never
depends on the machine or the configuration that parses the DAGs: the demo (a DuckDB file under
``data/``), a backfill in a folder of its own, CI and production share one asset graph, and a moved lake
never orphans an asset and the DAGs scheduled on it. (No provider handles ``duckdb://``: such a URI
would be neither checked nor lineage.)

**Events.** Each carries the extras ``month`` (``YYYY-MM``: the month of the data it is about),
``rows``, ``files`` and ``logical_date`` (the producing run's instant, ISO 8601 with its offset: a run
the event triggers takes its run date from it, :func:`recouvra.airflow_adapter.runtime.instant_of`).
An event is emitted only when the run produced something: :func:`emit` skips the emitting task
otherwise, and Airflow records no event for a skipped task (nor for a failed one). One exception, the
terminal KPI marts: a month kept as loaded says so (:func:`emit_marts`) rather than skip the report.

The graph, producer → asset → consumer, is in ``docs/architecture.md`` ("Data-aware scheduling");
``tests/dags`` checks that every asset a DAG produces is consumed by a DAG or listed in
:data:`TERMINAL` with the reason. Imported at DAG parse time: Airflow's SDK and light modules only.

**Lineage.** The OpenLineage provider turns a TaskFlow task's ``inlets`` and ``outlets`` into the
inputs and outputs of its events (``docs/runbook.md``, "Lineage"). The emitting tasks declare, as
inlets, the assets their DAG read: the fund's source tables (:data:`SOURCE_TABLES`, inlets only: no DAG
produces them, they are never scheduled on) for the extraction, the warehouse's tables for the later
stages, the marts for the monthly report (:data:`MONTHLY_REPORT`, a file). Together they draw the
month's chain source → lake → warehouse → marts → files.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from airflow.sdk import Asset

from recouvra.airflow_adapter.runtime import LOGICAL_DATE_EXTRA, event_instants, run_instant
from recouvra.calendar import FUND_TZ, RunDate, add_months
from recouvra.lake import TABLES

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping

#: The production lake (docker-compose.yaml: RECOUVRA__STORAGE__LAKE_DIR).
LAKE_URI = "file:///opt/airflow/data/lake"
#: The production warehouse (docker-compose.yaml: AIRFLOW_CONN_RECOUVRA_WAREHOUSE): host:port/database.
WAREHOUSE_URI = "postgres://warehouse-db:5432/warehouse"
#: The fund's source database (docker-compose.yaml's default AIRFLOW_CONN_RECOUVRA_SOURCE).
SOURCE_URI = "postgres://warehouse-db:5432/cnss"
#: The production reports folder (docker-compose.yaml: RECOUVRA__STORAGE__REPORTS_DIR).
REPORTS_URI = "file:///opt/airflow/data/reports"


def _table(name: str, schema: str, table: str) -> Asset:
    return Asset(name=name, uri=f"{WAREHOUSE_URI}/{schema}/{table}", group=schema)


#: The source's snapshots published in the lake (every table of recouvra.lake.TABLES at once).
SOURCE_SNAPSHOTS = Asset(name="source_snapshots", uri=LAKE_URI, group="lake")
#: The debtor master of a day (core.dim_debtor, its history, the bridge, core.debtor_portfolio).
DEBTOR_MASTER = _table("debtor_master", "core", "dim_debtor")
#: Agencies' return files registered (core.return_file) and their accepted rows.
RETURN_FILES = _table("return_files", "core", "return_file")
#: Ledger payments attributed to dossiers; an event says a month is closed (see :func:`closed_month`).
ATTRIBUTION = _table("attribution", "core", "attribution")
#: The recalls decided by the lifecycle refresh of a month's first day (core.dossier_recall).
RECALLS = _table("recalls", "core", "dossier_recall")
#: Placements published to the agencies (core.dossier PUBLISHED, core.publication_log).
PLACEMENTS = _table("placements", "core", "dossier")
#: A month's commission statements, integrity-checked and sent to the agencies.
COMMISSION_STATEMENTS = _table("commission_statements", "core", "commission_statement")
#: Every mart table kpi_load writes (recouvra.kpi.MART_TABLES: a unit test keeps the two equal).
KPI_MARTS: tuple[Asset, ...] = tuple(_table(t, "marts", t) for t in (
    "fact_dossier_month", "kpi_recovery_vintage", "kpi_cohort_month", "kpi_agency_league",
    "kpi_agency_month", "kpi_portfolio_month", "kpi_recovered_kind", "kpi_agency_effect",
    "kpi_score_calibration", "kpi_cohort_outcome",
))

#: The month's report (HTML), rendered from the marts by kpi_load.
MONTHLY_REPORT = Asset(name="monthly_report", uri=REPORTS_URI, group="files")

ASSETS: tuple[Asset, ...] = (
    SOURCE_SNAPSHOTS, DEBTOR_MASTER, RETURN_FILES, ATTRIBUTION, RECALLS, PLACEMENTS, COMMISSION_STATEMENTS,
    *KPI_MARTS, MONTHLY_REPORT,
)

#: The fund's source tables: lineage only (the extraction's inlets). Not in :data:`ASSETS`: no DAG
#: produces them (the fund's systems do) and none is scheduled on them.
SOURCE_TABLES: tuple[Asset, ...] = tuple(
    Asset(name=f"source_{t}", uri=f"{SOURCE_URI}/public/{t}", group="source") for t in TABLES
)

#: Assets that no DAG consumes, and who does.
TERMINAL: dict[str, str] = {
    PLACEMENTS.name: "the agencies, who take their packages from SFTP outside Airflow (in the demo only, "
                     "the simulated agencies: dags/demo_agencies.py, which production never loads)",
    **{mart.name: "BI users query the marts (the views marts.v_*, docs/kpi.md), outside Airflow"
       for mart in KPI_MARTS},
    MONTHLY_REPORT.name: "the fund's management, who read the month's report (reports/<month>/), outside "
                         "Airflow",
}


@dataclass(frozen=True)
class Production:
    """What a run produced, as its asset event tells it; ``nothing`` says why not, when it did not."""

    rows: int
    files: int = 0
    nothing: str = ""


# ---------------------------------------------------------------- what counts as produced, per asset
def snapshots_published(published: Mapping[str, Any]) -> Production:
    """The extraction's report (:func:`recouvra.portfolio.gate_and_publish`): the snapshots this run
    published. A day's snapshot with no changed row is still news (the cut moved: the debtor master's
    features and the ledger's cut are dated by it); a re-run that found every table already published
    for its date (``kept``) changed nothing in the lake."""
    new = [t for t in published["tables"].values() if not t.get("kept")]
    if not new:
        return Production(0, 0, "every table was already published for this date: the lake is unchanged")
    return Production(sum(int(t["rows"]) for t in new), len(new))


def master_built(report: Mapping[str, Any]) -> Production:
    """The debtor master's report (:class:`recouvra.debtor_master.MasterReport`): the debtors of the
    day. A day kept as built (the master was built for a later day since) wrote nothing."""
    if report.get("kept"):
        return Production(0, 0, f"the debtor master of {report['as_of']} was kept as built (a later day "
                                "was built since): nothing written")
    return Production(int(report["debtors"]))


def returns_ingested(ingested: Iterable[Mapping[str, Any]]) -> Production:
    """The ingestion's groups (:func:`recouvra.ingest.ingest_fetched`): files registered in
    core.return_file and rows accepted. An hour with no file is nothing: no reconciliation for it."""
    # an earlier run's file whose delivery is recorded now (open_delivery) was that run's
    items = [i for group in ingested for i in group["items"]
             if not i.get("error") and not i.get("open_delivery")]
    if not items:
        return Production(0, 0, "no return file was ingested")
    return Production(sum(int(i.get("rows_accepted", 0)) for i in items), len(items))


def recalls_decided(report: Mapping[str, Any]) -> Production:
    """The lifecycle refresh's report (:class:`recouvra.selection.LifecycleReport`): the day judged and
    its recalls (none is a decision too: the month's dossiers are settled as of its first day). A day
    kept as judged (a later day was judged since) decided nothing."""
    if report.get("kept_after"):
        return Production(0, 0, f"the refresh of {report['on']} was kept as judged (a later day, "
                                f"{report['kept_after']}, was judged since): nothing decided")
    return Production(sum(int(n) for n in report.get("recalled", {}).values()))


def placements_recorded(summary: Mapping[str, Any]) -> Production:
    """The publication's record (:class:`recouvra.publication.RecordSummary`): dossiers and recalls
    marked published, files logged. Recording again what was recorded changes nothing."""
    rows = int(summary["dossiers_published"]) + int(summary["recalls_marked"])
    if not rows:
        return Production(0, int(summary["files_logged"]), "every dossier and recall of these packages "
                                                           "was already recorded as published")
    return Production(rows, int(summary["files_logged"]))


def statements_published(published: Iterable[Mapping[str, Any]]) -> Production:
    """The commission files uploaded (the mapped ``publish`` tasks' :class:`recouvra.publication.
    Publication`): statement lines sent and files (data files and manifests). A month with no statement
    line has no file, no upload and no recording (the tasks are skipped): that month sends nothing."""
    files = [f for p in published for f in p["files"]]
    if not files:
        return Production(0, 0, "no statement file was published")
    return Production(sum(int(f["rows"] or 0) for f in files if f["file_type"] != "MANIFEST"), len(files))


def report_written(path: str) -> Production:
    """The report's task (:func:`recouvra.report.render_report`): the one file it wrote."""
    return Production(0, 1) if path else Production(0, 0, "no report was written")


_RULES: dict[str, Callable[[Any], Production]] = {
    SOURCE_SNAPSHOTS.name: snapshots_published,
    DEBTOR_MASTER.name: master_built,
    RETURN_FILES.name: returns_ingested,
    RECALLS.name: recalls_decided,
    PLACEMENTS.name: placements_recorded,
    COMMISSION_STATEMENTS.name: statements_published,
    MONTHLY_REPORT.name: report_written,
}


def closed_month(day: dt.date, *, explicit: bool, master_days: Iterable[dt.date]) -> dt.date | None:
    """The month a reconciliation run of ``day`` closes, or None.

    The month before ``day``'s is closed by the reconciliation of the first snapshot of ``day``'s
    month: that of the 1st, triggered by the debtor master of the 1st (the ledger up to the 1st's
    extraction, the master the month's selection reads). A run triggered on the 1st by return files
    only (before the day's extraction, or after its reconciliation) closes nothing; a run with an
    explicit logical date (triggered, ``airflow dags test``) is taken at its word."""
    if day.day != 1:
        return None
    if explicit or day in set(master_days):
        return add_months(day, -1)
    return None


# ---------------------------------------------------------------------------------- emitting events
def event_extra(month: dt.date, produced: Production, logical_date: dt.datetime,
                **detail: Any) -> dict[str, Any]:
    """The extras of an event (JSON): month, rows, files, the producing run's logical instant."""
    local = dt.datetime.fromtimestamp(logical_date.timestamp(), FUND_TZ)
    return {"month": month.strftime("%Y-%m"), "rows": produced.rows, "files": produced.files,
            LOGICAL_DATE_EXTRA: local.isoformat(), **detail}


def _emit(asset: Asset, month: dt.date, produced: Production) -> dict[str, Any]:
    from airflow.sdk import get_current_context
    from airflow.sdk.exceptions import AirflowSkipException

    if produced.nothing:
        raise AirflowSkipException(f"no {asset.name} event: {produced.nothing}")
    extra = event_extra(month, produced, run_instant())
    get_current_context()["outlet_events"][asset].extra = extra
    return extra


def emit(asset: Asset, month: dt.date, result: Any) -> dict[str, Any]:
    """The running task's event on ``asset`` (one of its outlets), about ``month``, from what the task
    produced (``result``, judged by the asset's rule above): its extras are attached and returned.
    When the rule says nothing was produced, the task is skipped instead: no event, so no consumer
    runs for nothing."""
    return _emit(asset, month, _RULES[asset.name](result))


def emit_month_close(reconciled: Mapping[str, Any]) -> dict[str, Any]:
    """The reconciliation's ``attribution`` event when the running reconciliation closes a month
    (:func:`closed_month`, from its Airflow context; rows: the attribution rows it wrote), else skip."""
    from airflow.sdk import get_current_context

    ctx = get_current_context()
    day = RunDate.at(run_instant()).day
    masters = event_instants(ctx.get("triggering_asset_events"), DEBTOR_MASTER.name)
    month = closed_month(day, explicit=ctx.get("logical_date") is not None,
                         master_days={RunDate.at(m).day for m in masters})
    if month is None:
        why = (f"this run ({day.isoformat()}) closes no month: only the reconciliation of the 1st's debtor "
               "master does")
        return _emit(ATTRIBUTION, RunDate(day).month, Production(0, 0, why))
    return _emit(ATTRIBUTION, month, Production(int(reconciled.get("attributions", 0))))


def emit_marts(month: dt.date, rows: Mapping[str, int], *, kept: bool) -> None:
    """The KPI load's events, one per mart table, ``rows`` that table's rows of the month. A month kept
    as loaded (a later month was loaded since) wrote nothing and says so (``kept``, rows 0) rather than
    being skipped: the marts are terminal, no DAG runs on them, and skipping would skip the report."""
    from airflow.sdk import get_current_context

    events = get_current_context()["outlet_events"]
    when = run_instant()
    for mart in KPI_MARTS:
        produced = Production(int(rows.get(f"marts.{mart.name}", 0)))
        events[mart].extra = {**event_extra(month, produced, when), "kept": kept}

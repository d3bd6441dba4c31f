"""
### kpi_load

Loads the KPI marts BI users query (recovery rate per agency × placement month × months since
placement, recovery within 30/60/90 days, right-party contact, promises kept, plan activation and
plans kept, debtors located and assets found, data updates, cost to collect, coverage and the
remaining amount to recover; by segment, region and agency), then renders the month's report.

Runs when `commission_monthly` has published the statements of the month just ended (asset
`commission_statements`), for that month: never before them. Idempotent per month: a re-run replaces
the month's rows. Emits one event per mart table (terminal: BI users read the marts).

0. `check_inputs`: the month must be closed (the debtor master of the next month's 1st built) and a
   dossier published by then; otherwise the run logs what is missing and does nothing.
1. `load_kpis`: the month's rows of every mart, in one transaction, by bulk paths.
2. `render_report`: `report_<YYYY-MM>.html`, self-contained (vintage curves per agency, agency league
   table, funnel from assigned to recovered, remaining-to-recover trend), in the reports folder.
3. `export_bi`: on the embedded DuckDB warehouse, the BI views as `<view>.parquet` and `bi.duckdb` in
   `storage.bi_dir`, each file replaced whole, so that a notebook reads them and never locks the
   warehouse; on PostgreSQL nothing (BI users connect with the read-only role `recouvra_bi`).
"""

from __future__ import annotations

from airflow.sdk import dag, task

from recouvra.airflow_adapter import DEFAULT_ARGS, START_DATE, WAREHOUSE_WRITER_POOL, run_date
from recouvra.airflow_adapter.assets import (
    ATTRIBUTION,
    COMMISSION_STATEMENTS,
    DEBTOR_MASTER,
    KPI_MARTS,
    MONTHLY_REPORT,
    PLACEMENTS,
    RETURN_FILES,
    emit,
    emit_marts,
)
from recouvra.airflow_adapter.readiness import check_inputs


@dag(
    schedule=[COMMISSION_STATEMENTS],
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    tags=["recouvra", "kpi", "report"],
    default_args=DEFAULT_ARGS,
    doc_md=__doc__,
)
def kpi_load() -> None:
    @task(pool=WAREHOUSE_WRITER_POOL, outlets=list(KPI_MARTS),
          inlets=[DEBTOR_MASTER, PLACEMENTS, RETURN_FILES, ATTRIBUTION, COMMISSION_STATEMENTS])
    def load_kpis() -> dict:
        from recouvra.airflow_adapter import settings, warehouse_url
        from recouvra.kpi import load_kpis as load
        from recouvra.warehouse import connect

        horizon = settings().selection.calibration.results_horizon_months
        with connect(warehouse_url()) as wh:
            report = load(wh, run_date().previous_month, calibration_horizon_months=horizon)
        emit_marts(report.month, report.rows, kept=report.kept)
        return {k: str(v) for k, v in vars(report).items()}

    # Both tasks below open the DuckDB file, which a writer in another process would hold (and they
    # would lock each other out if run at once): hence the pool, although neither writes the warehouse.
    @task(pool=WAREHOUSE_WRITER_POOL, inlets=list(KPI_MARTS), outlets=[MONTHLY_REPORT])
    def render_report(_: dict) -> str:
        from recouvra.airflow_adapter import settings, warehouse_url
        from recouvra.report import render_report as render
        from recouvra.warehouse import connect

        s = settings()
        month = run_date().previous_month
        with connect(warehouse_url()) as wh:
            path = render(wh, month, s.path(s.storage.reports_dir))
        print(f"report: {path}")
        emit(MONTHLY_REPORT, month, str(path))
        return str(path)

    @task(pool=WAREHOUSE_WRITER_POOL)
    def export_bi(_: dict) -> dict:
        from recouvra.airflow_adapter import settings, warehouse_url
        from recouvra.bi import export_bi as export

        s = settings()
        return export(warehouse_url(), s.path(s.storage.bi_dir)).to_dict()

    loaded = load_kpis()
    check_inputs("kpi_load") >> loaded
    render_report(loaded)
    export_bi(loaded)


kpi_load()

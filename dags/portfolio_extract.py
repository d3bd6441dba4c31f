"""
### portfolio_extract

Daily incremental extraction of the unpaid-contribution portfolio from the fund's operational
database (employers, declarations, titles, receivables, ledger payments, plans, proceedings, disputes)
into Parquet snapshots in the lake, behind a Great Expectations quality gate.

1. `extract` (one mapped task per table): rows changed since the table's last published snapshot,
   streamed in chunks to `lake/_incoming/<run>/<table>/`.
2. `quality_gate_and_publish`: GX suites per table (keys present and unique, amounts non-negative,
   months valid, employers known, row counts and money totals equal to the source's). On failure the
   failed snapshots go to `lake/_quarantine/`, nothing is published, and the run fails without
   retry: read the Data Docs path in the log, mend the source, clear the run.
   When every suite passes it moves the audited snapshots to `lake/<table>/snapshot_date=YYYY-MM-DD/`
   (replacing an earlier run of the same day: re-running a day reproduces it); the watermark is the
   partition's `_manifest.json`, written last.
3. `report`: row counts per table; emits the `source_snapshots` asset (extras: month, rows, files,
   logical_date), which triggers `debtor_master`. A re-run that found every table already published
   for its date changed nothing: `report` is skipped and emits no event.

Source: the `recouvra_source` connection when defined (PostgreSQL), else the embedded SQLite file.
"""

from __future__ import annotations

from airflow.sdk import dag, get_current_context, task

from recouvra.airflow_adapter import DEFAULT_ARGS, START_DATE, schedule_end
from recouvra.airflow_adapter.assets import SOURCE_SNAPSHOTS, SOURCE_TABLES, emit
from recouvra.lake import TABLES


@dag(
    schedule="0 2 * * *",
    start_date=START_DATE,
    end_date=schedule_end(),
    catchup=False,
    max_active_runs=1,
    tags=["recouvra", "portfolio", "extract"],
    default_args=DEFAULT_ARGS,
    doc_md=__doc__,
)
def portfolio_extract() -> None:
    @task(max_active_tis_per_dagrun=2, map_index_template="{{ task.op_kwargs['table'] }}")
    def extract(table: str) -> dict:
        """Stream one table's changes to the run's incoming folder; returns its manifest."""
        from recouvra.airflow_adapter import logical_wall_time, run_date, settings, source_url
        from recouvra.portfolio import extract_snapshot

        s = settings()
        return extract_snapshot(source_url(), s.path(s.storage.lake_dir), table, run_date().day,
                                logical_wall_time(), get_current_context()["run_id"])

    @task
    def quality_gate_and_publish(snapshots: list[dict]) -> dict:
        """Audit every snapshot; publish all, or quarantine the failed ones and fail without retry."""
        from airflow.sdk.exceptions import AirflowFailException

        from recouvra.airflow_adapter import settings, source_url
        from recouvra.portfolio import QualityGateError, gate_and_publish
        from recouvra.quality import DATA_DOCS_DIR_NAME

        s = settings()
        lake = s.path(s.storage.lake_dir)
        try:
            return gate_and_publish(source_url(), lake, lake.parent / DATA_DOCS_DIR_NAME, list(snapshots),
                                    get_current_context()["run_id"])
        except QualityGateError as exc:
            raise AirflowFailException(str(exc)) from exc

    @task(inlets=list(SOURCE_TABLES), outlets=[SOURCE_SNAPSHOTS])
    def report(published: dict) -> dict:
        """Row counts per table of what was published (small: fit for XCom and the run's log)."""
        from recouvra.airflow_adapter import run_date

        counts = {t: v["rows"] for t, v in published["tables"].items()}
        print(counts)
        emit(SOURCE_SNAPSHOTS, run_date().month, published)
        return counts

    report(quality_gate_and_publish(extract.expand(table=list(TABLES))))


portfolio_extract()

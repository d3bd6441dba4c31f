"""
### demo_agencies (the demo only)

The simulated recovery agencies of the embedded demo (`recouvra simulate-agencies`, docs/simulator.md):
when a month's packages are published (asset `placements`, from `assignment_monthly`), each agency, as its
own SFTP user, fetches its drops, works its dossiers through the month, sends its return files to its
`inbox/` and reports the payments it took, which reach the fund's source ledger. `returns_ingest` takes
the files in at the month's end. The demo's last month, which ends with its 1st (`RECOUVRA_SCHEDULE_END`),
is not worked: the task is skipped.

**Demo only**: the file defines its DAG only where `RECOUVRA_DEMO_DAGS=1` (scripts/demo.sh sets it for
the demo's scheduler); production never sets it, so its DAG processor loads no DAG from this file. Tagged
`demo`.
"""

from __future__ import annotations

from airflow.sdk import dag, task

from recouvra.airflow_adapter import DEFAULT_ARGS, START_DATE, demo_dags_enabled, run_date
from recouvra.airflow_adapter.assets import PLACEMENTS


@dag(
    schedule=[PLACEMENTS],
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    tags=["demo", "simulator", "sftp"],
    default_args=DEFAULT_ARGS,
    doc_md=__doc__,
)
def demo_agencies() -> None:
    @task
    def simulate_month() -> dict:
        """Every agency answers the fund's files up to the last day of the packages' month."""
        from airflow.sdk.exceptions import AirflowSkipException

        from recouvra.airflow_adapter import schedule_end, settings, source_url
        from recouvra.calendar import month_end
        from recouvra.standins.simulator import simulate_agencies

        until, horizon = month_end(run_date().month), schedule_end()
        if horizon is not None and until > horizon.date():  # the demo's last month: it ends on the 1st
            raise AirflowSkipException(f"the demo ends at {horizon}: nobody works {until:%Y-%m} after it")
        report = simulate_agencies(settings(), until=until, source_url=source_url())
        print(report.summary())
        return {"until": until.isoformat(), "files_sent": report.files_sent,
                "ledger_rows": report.ledger_rows}

    simulate_month()


if demo_dags_enabled():
    demo_agencies()

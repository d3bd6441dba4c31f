"""
### assignment_monthly

The heart of the programme: each month, choose the month's dossiers, hand each to one agency, and drop
each agency's package on its own SFTP account. Runs when the month opens (asset `attribution`: the 1st's
`debtor_master` reconciled); its month is its run date's (Casablanca). Without that master: nothing done.

1. `check_inputs` (else nothing done), `check_configuration`: capacity, regions, agencies (fails at start).
2. `refresh_lifecycle`: PUBLISHED dossiers (never one not yet published) whose window ended are recalled
   `EXPIRED`; paid in full, proceeding, plan, merger, closure, retired agency; the others get their new
   unpaid months (`add_debts`). Emits `recalls`: `commission_monthly` closes the month before on it.
3. `select_and_allocate`: eligibility, transparent score, selection of the month's N dossiers and a
   stratified, seeded split among agencies not retired (capacity, regions respected); every decision and its
   reason in `core.selection_decision`. Re-running a month reproduces it; a published month is frozen.
   A month that selects nothing fails at once and alerts, with the count of each exclusion reason.
4. `build_files`: packages, recall, recall notice and added-months files, local (same bytes on a re-run).
5. `publish` (mapped per agency, pool `sftp_agencies`): its packages in order in one session of its own
   SFTP connection (pinned host key); `.part` then rename, remote size and sha256 verified, manifest last.
6. `record_publication` (warehouse writer): `core.publication_log`, dossiers PUBLISHED; emits `placements`.

**On failure**: an SFTP fault fails only that agency's `publish` task, which retries (no partial file).
"""

from __future__ import annotations

from airflow.sdk import dag, task

from recouvra.airflow_adapter import DEFAULT_ARGS, SFTP_POOL, START_DATE, WAREHOUSE_WRITER_POOL, run_date
from recouvra.airflow_adapter.assets import ATTRIBUTION, DEBTOR_MASTER, PLACEMENTS, RECALLS, emit
from recouvra.airflow_adapter.readiness import check_inputs


@dag(
    schedule=(DEBTOR_MASTER & ATTRIBUTION),
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    tags=["recouvra", "assignment", "publication", "sftp"],
    default_args=DEFAULT_ARGS,
    doc_md=__doc__,
)
def assignment_monthly() -> None:
    @task
    def check_configuration(_: bool) -> list[str]:
        """Fail now, with the reason, if the configuration cannot meet the programme."""
        from recouvra.airflow_adapter import settings
        from recouvra.selection import check_settings

        return check_settings(settings(), run_date().month)

    @task(pool=WAREHOUSE_WRITER_POOL, inlets=[DEBTOR_MASTER, ATTRIBUTION], outlets=[RECALLS])
    def refresh_lifecycle(_: list[str]) -> dict:
        """Recall expired and settled dossiers, add new unpaid months to the others (the month's 1st)."""
        from recouvra.airflow_adapter import settings, warehouse_url
        from recouvra.selection import add_debts, refresh_dossiers
        from recouvra.warehouse import connect

        s, month = settings(), run_date().month
        with connect(warehouse_url()) as wh:
            report = refresh_dossiers(wh, s.path(s.storage.lake_dir), s, month).as_dict()
            report["added_debts"] = add_debts(wh, s.path(s.storage.lake_dir), month).as_dict()
        emit(RECALLS, month, report)
        return report

    @task(pool=WAREHOUSE_WRITER_POOL)
    def select_and_allocate(_: dict) -> dict:
        """Choose and allocate the month's dossiers (deterministic for the month)."""
        from airflow.sdk.exceptions import AirflowFailException

        from recouvra.airflow_adapter import settings, warehouse_url
        from recouvra.selection import EmptySelectionError, require_dossiers
        from recouvra.selection import select_and_allocate as run
        from recouvra.warehouse import connect

        s = settings()
        with connect(warehouse_url()) as wh:
            report = run(wh, s.path(s.storage.lake_dir), s, run_date().month, seed=s.allocation.seed)
        print(report.summary())
        try:  # an empty month fails at once (no retry: the same data select nothing again) and alerts
            return require_dossiers(report).as_dict()
        except EmptySelectionError as exc:
            raise AirflowFailException(str(exc)) from exc

    @task
    def build_files(_: dict) -> list[list[dict]]:
        """Write every agency's package, recall and added-months files locally; one list per agency."""
        from recouvra.airflow_adapter import settings, warehouse_url
        from recouvra.publication import build_month_files, by_agency
        from recouvra.warehouse import connect

        s, month = settings(), run_date().month
        out = s.path(s.storage.lake_dir).parent / "outbox"
        with connect(warehouse_url()) as wh:
            packages = build_month_files(wh, month, out)
        return by_agency(packages)

    @task(pool=SFTP_POOL, map_index_template="{{ task.op_kwargs['packages'][0]['agency'] }}")
    def publish(packages: list[dict]) -> list[dict]:
        """Upload one agency's packages in one session of its SFTP connection, verified, manifest last."""
        from recouvra.airflow_adapter import publish_all_for_agency

        return publish_all_for_agency(packages)

    @task(pool=WAREHOUSE_WRITER_POOL, inlets=[DEBTOR_MASTER, RECALLS], outlets=[PLACEMENTS])
    def record_publication(published: list[list[dict]]) -> dict:
        """Log what went where and mark the dossiers PUBLISHED (single warehouse writer)."""
        from recouvra.airflow_adapter import warehouse_url
        from recouvra.publication import record_publication as record
        from recouvra.warehouse import connect

        with connect(warehouse_url()) as wh:
            summary = vars(record(wh, [p for agency in published for p in agency]))
        emit(PLACEMENTS, run_date().month, summary)
        return summary

    gate = check_configuration(check_inputs("assignment_monthly"))
    record_publication(publish.expand(packages=build_files(select_and_allocate(refresh_lifecycle(gate)))))


assignment_monthly()

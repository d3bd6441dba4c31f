"""
### assignment_topup

Tops up a short month. When the month's selection (`assignment_monthly`) placed fewer dossiers than
`programme.dossiers_per_month`, a run of this DAG on a later day of the same month places more, among
the debtors eligible that day, and sends each agency concerned a supplementary package (`<SEQ>` 02).
Not scheduled: trigger it with the top-up's day as logical date (docs/runbook.md, "Top up a short month"),
e.g. `airflow dags trigger assignment_topup --logical-date 2026-11-16T06:00:00+01:00`.

1. `check_configuration`: the agencies of the day (not retired) can meet the programme.
2. `top_up`: the month's second selection run (`core.selection_run.selection_seq` 2): debtors of the
   day's portfolio without a dossier of the month, same rules and score, up to the shortfall, within each
   agency's capacity left. The month's selection must be published. A month with no shortfall tops up
   nothing and says so; a top-up already published is left as is (a re-run changes nothing).
3. `build_files`: the top-up's packages only, `CNSS_ASSIGN_<AGENCY>_<YYYYMM>_02.csv`, its detail and
   manifest (`_01` for an agency the month's selection gave none); the `_01` files already sent are
   neither rebuilt nor sent again.
4. `publish` (one mapped task per agency, pool `sftp_agencies`): verified upload, manifest last.
5. `record_publication`: `core.publication_log`, the top-up's dossiers marked PUBLISHED; emits
   `placements`, like `assignment_monthly` (terminal: no DAG runs on it; nothing topped up, no event).

**On failure**: as `assignment_monthly`; a top-up refused (month not published, day outside the month)
fails at once, without retry, naming why.
"""

from __future__ import annotations

from airflow.sdk import dag, task

from recouvra.airflow_adapter import DEFAULT_ARGS, SFTP_POOL, START_DATE, WAREHOUSE_WRITER_POOL, run_date
from recouvra.airflow_adapter.assets import DEBTOR_MASTER, PLACEMENTS, emit


@dag(
    schedule=None,
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    tags=["recouvra", "assignment", "publication", "sftp"],
    default_args=DEFAULT_ARGS,
    doc_md=__doc__,
)
def assignment_topup() -> None:
    @task
    def check_configuration() -> list[str]:
        """Fail now, with the reason, if the agencies of the day cannot meet the programme."""
        from recouvra.airflow_adapter import settings
        from recouvra.selection import check_settings

        return check_settings(settings(), run_date().day)

    @task(pool=WAREHOUSE_WRITER_POOL)
    def top_up(_: list[str]) -> dict:
        """Top up the run's month on the run's day (deterministic; frozen once published)."""
        from airflow.sdk.exceptions import AirflowFailException

        from recouvra.airflow_adapter import settings, warehouse_url
        from recouvra.selection import SelectionError, top_up_month
        from recouvra.warehouse import connect

        s, when = settings(), run_date()
        try:  # refused (not published, wrong day): the same data refuse again, no retry
            with connect(warehouse_url()) as wh:
                report = top_up_month(wh, s.path(s.storage.lake_dir), s, when.month, when.day,
                                      seed=s.allocation.seed)
        except SelectionError as exc:
            raise AirflowFailException(str(exc)) from exc
        print(report.summary())
        return report.as_dict()

    @task
    def build_files(_: dict) -> list[dict]:
        """Write each agency's top-up package locally (its next SEQ); nothing when nothing was topped up."""
        from recouvra.airflow_adapter import settings, warehouse_url
        from recouvra.publication import build_packages
        from recouvra.selection.topup import TOP_UP_SEQ
        from recouvra.warehouse import connect

        s = settings()
        out = s.path(s.storage.lake_dir).parent / "outbox"
        with connect(warehouse_url()) as wh:
            packages = build_packages(wh, run_date().month, out, selection_seq=TOP_UP_SEQ)
        return [p.to_dict() for p in packages]

    @task(pool=SFTP_POOL, map_index_template="{{ task.op_kwargs['package']['agency'] }}")
    def publish(package: dict) -> dict:
        """Upload one agency's top-up package over its own SFTP connection, verified, manifest last."""
        from recouvra.airflow_adapter import publish_for_agency

        return publish_for_agency(package)

    @task(pool=WAREHOUSE_WRITER_POOL, inlets=[DEBTOR_MASTER], outlets=[PLACEMENTS])
    def record_publication(published: list[dict]) -> dict:
        """Log what went where and mark the top-up's dossiers PUBLISHED (single warehouse writer)."""
        from dataclasses import asdict

        from recouvra.airflow_adapter import warehouse_url
        from recouvra.publication import record_publication as record
        from recouvra.warehouse import connect

        with connect(warehouse_url()) as wh:
            summary = asdict(record(wh, list(published)))
        emit(PLACEMENTS, run_date().month, summary)
        return summary

    record_publication(publish.expand(package=build_files(top_up(check_configuration()))))


assignment_topup()

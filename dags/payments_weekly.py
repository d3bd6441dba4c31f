"""
### payments_weekly

Every Monday, tells each agency what the fund's own ledger received for its open dossiers since the
last such file, reversals included, so that the agency stops chasing what is paid
(`outbox/CNSS_PAYMENTS_<AGENCY>_<YYYYMMDD>_<SEQ>.csv` with its manifest, written last).

0. `check_inputs`: the ledger extracted by the run's day and a dossier with the agencies; otherwise
   the run logs what is missing and does nothing (no file).
1. `load_ledger`: the fund's ledger as recorded before the run's day began (the lake's current
   state) into `core.ledger_payment`, so the notices never depend on the hour the DAG runs or is re-run.
2. `build_notices`: ledger payments and reversals of each published dossier's debtor (every
   affiliation number of the debtor), first seen before the run's day and not yet notified, read
   from the warehouse (`core.ledger_payment`) only.
3. `publish` (mapped per agency, pool `sftp_agencies`): verified upload, manifest last.
4. `record_publication`: `core.publication_log` and `core.ledger_payment_notice` (so nothing is
   notified twice), the one warehouse writer.
5. `build_updates` → `publish_updates` → `record_updates`: what the fund learned about each placed
   debtor since its assignment (its own records, another agency's finding, a plan signed with the fund),
   `outbox/CNSS_UPDATES_<AGENCY>_<YYYYMMDD>_<SEQ>.csv`, each update sent once (`core.dossier_update`).

Runs after `portfolio_extract` has brought the week's ledger into the lake.
"""

from __future__ import annotations

from airflow.sdk import dag, task

from recouvra.airflow_adapter import DEFAULT_ARGS, SFTP_POOL, START_DATE, WAREHOUSE_WRITER_POOL, schedule_end
from recouvra.airflow_adapter.readiness import check_inputs


@dag(
    schedule="0 7 * * 1",
    start_date=START_DATE,
    end_date=schedule_end(),
    catchup=False,
    max_active_runs=1,
    tags=["recouvra", "publication", "sftp", "payments"],
    default_args=DEFAULT_ARGS,
    doc_md=__doc__,
)
def payments_weekly() -> None:
    @task(pool=WAREHOUSE_WRITER_POOL)
    def load_ledger() -> dict:
        """The ledger recorded before the run's day into core.ledger_payment (idempotent)."""
        from recouvra.airflow_adapter import run_date, settings, warehouse_url
        from recouvra.lake import open_lake
        from recouvra.ledger import load_ledger_before
        from recouvra.warehouse import connect

        s, day = settings(), run_date().day
        with connect(warehouse_url()) as wh, open_lake(s.path(s.storage.lake_dir), as_of=day) as con:
            report = load_ledger_before(wh, con, day)
        return {"entries": report.entries, "inserted": report.inserted, "updated": report.updated}

    @task
    def build_notices(_: dict) -> list[dict]:
        """Write each agency's payments file locally; one entry per agency with something to tell."""
        from recouvra.airflow_adapter import run_date, settings, warehouse_url
        from recouvra.publication import build_payment_notices
        from recouvra.warehouse import connect

        s = settings()
        with connect(warehouse_url()) as wh:
            packages = build_payment_notices(wh, run_date().day, s.path(s.storage.lake_dir).parent / "outbox")
        return [p.to_dict() for p in packages]

    @task(pool=SFTP_POOL, map_index_template="{{ task.op_kwargs['package']['agency'] }}")
    def publish(package: dict) -> dict:
        from recouvra.airflow_adapter import publish_for_agency

        return publish_for_agency(package)

    @task(pool=WAREHOUSE_WRITER_POOL)
    def record_publication(published: list[dict]) -> dict:
        from dataclasses import asdict

        from recouvra.airflow_adapter import warehouse_url
        from recouvra.publication import record_publication as record
        from recouvra.warehouse import connect

        with connect(warehouse_url()) as wh:
            return asdict(record(wh, list(published)))

    @task
    def build_updates(_: dict) -> list[dict]:
        """Each agency's updates file: what the fund learned about its debtors since (recouvra.updates)."""
        from recouvra.airflow_adapter import run_date, settings, warehouse_url
        from recouvra.updates import build_update_files
        from recouvra.warehouse import connect

        s = settings()
        with connect(warehouse_url()) as wh:
            lake = s.path(s.storage.lake_dir)
            return [p.to_dict() for p in build_update_files(wh, lake, run_date().day, lake.parent / "outbox")]

    @task(pool=SFTP_POOL, map_index_template="{{ task.op_kwargs['package']['agency'] }}")
    def publish_updates(package: dict) -> dict:
        from recouvra.airflow_adapter import publish_for_agency

        return publish_for_agency(package)

    @task(pool=WAREHOUSE_WRITER_POOL)
    def record_updates(published: list[dict]) -> int:
        from recouvra.airflow_adapter import warehouse_url
        from recouvra.updates import record_update_publication
        from recouvra.warehouse import connect

        with connect(warehouse_url()) as wh:
            return record_update_publication(wh, list(published))

    ledger = load_ledger()
    check_inputs("payments_weekly") >> ledger
    record_publication(publish.expand(package=build_notices(ledger)))
    record_updates(publish_updates.expand(package=build_updates(ledger)))


payments_weekly()

"""
### payments_weekly

Every Monday, tells each agency what the fund's own ledger received for its open dossiers since the
last such file, reversals included, so that the agency stops chasing what is paid
(`outbox/CNSS_PAYMENTS_<AGENCY>_<YYYYMMDD>_<SEQ>.csv` with its manifest, written last).

1. `load_ledger`: the fund's ledger as recorded before the run's day began (the lake's current
   state) into `core.ledger_payment`, so the notices never depend on the hour the DAG runs or is re-run.
2. `build_notices`: ledger payments and reversals of each published dossier's debtor (every
   affiliation number of the debtor), first seen before the run's day and not yet notified, read
   from the warehouse (`core.ledger_payment`) only.
3. `publish` (mapped per agency, pool `sftp_agencies`): verified upload, manifest last.
4. `record_publication`: `core.publication_log` and `core.ledger_payment_notice` (so nothing is
   notified twice), the one warehouse writer.

Runs after `portfolio_extract` has brought the week's ledger into the lake.
"""

from __future__ import annotations

from airflow.sdk import dag, task

from recouvra.airflow_adapter import DEFAULT_ARGS, SFTP_POOL, START_DATE, WAREHOUSE_WRITER_POOL, schedule_end


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

    @task(pool=SFTP_POOL)
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

    record_publication(publish.expand(package=build_notices(load_ledger())))


payments_weekly()

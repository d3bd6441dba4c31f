"""
### collections_reconcile

Whenever the debtor master of a day is built (asset `debtor_master`, daily after the extraction) or
agencies' return files were ingested (asset `return_files`), for the date of the run that produced
them (the events' `logical_date`): the fund pays agencies on what its own ledger shows, never on what
an agency claims. It runs after the day's debtor master, never before it.

0. `check_inputs`: the ledger must have been extracted on or before the run's day; otherwise the run
   logs what is missing and does nothing (no event).
1. `load_ledger`: the fund's ledger payments and reversals (current state of the lake) into
   `core.ledger_payment`, amounts exact from centimes.
2. `reconcile`: agency-reported payments matched to the ledger (receipt reference first, else the
   debtor's affiliation numbers, the same amount and a date within 5 days, one to one); ledger
   payments attributed to dossiers by the contract's rule (the dossier's debtor, dated within the
   assignment window, settling an assigned month), including payments no agency reported; claims
   with no ledger payment stay UNCONFIRMED and earn nothing; reversals attributed negatively.
3. `close_month`: the run that reconciles the 1st's debtor master (the ledger up to the extraction of
   the 1st) closes the month before: it emits `attribution` (extras: month closed, rows, logical_date),
   which opens the month: `assignment_monthly`, then `commission_monthly` and `kpi_load`. Any other
   run is skipped here and emits nothing.

Re-running a day changes nothing that was right. Commissions are computed by `commission_monthly`.
"""

from __future__ import annotations

from airflow.sdk import dag, task

from recouvra.airflow_adapter import DEFAULT_ARGS, START_DATE, WAREHOUSE_WRITER_POOL, run_date
from recouvra.airflow_adapter.assets import (
    ATTRIBUTION,
    DEBTOR_MASTER,
    RETURN_FILES,
    SOURCE_SNAPSHOTS,
    emit_month_close,
)
from recouvra.airflow_adapter.readiness import check_inputs


@dag(
    schedule=(DEBTOR_MASTER | RETURN_FILES),
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    tags=["recouvra", "reconciliation"],
    default_args=DEFAULT_ARGS,
    doc_md=__doc__,
)
def collections_reconcile() -> None:
    @task(pool=WAREHOUSE_WRITER_POOL)
    def load_ledger() -> dict:
        from recouvra.airflow_adapter import settings, warehouse_url
        from recouvra.lake import open_lake
        from recouvra.ledger import load_ledger as load
        from recouvra.warehouse import connect

        s, day = settings(), run_date().day
        with connect(warehouse_url()) as wh, open_lake(s.path(s.storage.lake_dir), as_of=day) as con:
            report = load(wh, con, day)
        return {"entries": report.entries, "inserted": report.inserted, "updated": report.updated}

    @task(pool=WAREHOUSE_WRITER_POOL)
    def reconcile(_: dict) -> dict:
        from recouvra.airflow_adapter import settings, warehouse_url
        from recouvra.reconcile import reconcile as run
        from recouvra.warehouse import connect

        s = settings()
        with connect(warehouse_url()) as wh:
            report = run(wh, run_date().day, imputation_order=s.programme.imputation_order,
                         full=s.reconciliation.full_rebuild)
        print(report.summary())
        return report.as_dict()

    @task(inlets=[SOURCE_SNAPSHOTS, DEBTOR_MASTER, RETURN_FILES], outlets=[ATTRIBUTION])
    def close_month(reconciled: dict) -> dict:
        """Emit `attribution` when this run closes a month; skipped (no event) otherwise."""
        return emit_month_close(reconciled)

    ledger = load_ledger()
    check_inputs("collections_reconcile") >> ledger
    close_month(reconcile(ledger))


collections_reconcile()

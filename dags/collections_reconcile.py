"""
### collections_reconcile

Daily, and whenever new portfolio snapshots or agency returns land (assets `recouvra://lake/portfolio`
or `recouvra://warehouse/core/return_file`): the fund pays agencies on what its own ledger shows,
never on what an agency claims.

1. `load_ledger`: the fund's ledger payments and reversals (current state of the lake) into
   `core.ledger_payment`, amounts exact from centimes.
2. `reconcile`: agency-reported payments matched to the ledger (receipt reference first, else the
   debtor's affiliation numbers, the same amount and a date within 5 days, one to one); ledger
   payments attributed to dossiers by the contract's rule (the dossier's debtor, dated within the
   assignment window, settling an assigned month), including payments no agency reported; claims
   with no ledger payment stay UNCONFIRMED and earn nothing; reversals attributed negatively.

Re-running a day changes nothing that was right. Commissions are computed by `commission_monthly`.
"""

from __future__ import annotations

from airflow.sdk import Asset, dag, task

from recouvra.airflow_adapter import DEFAULT_ARGS, START_DATE, WAREHOUSE_WRITER_POOL, run_date

PORTFOLIO = Asset("recouvra://lake/portfolio")
RETURNS = Asset("recouvra://warehouse/core/return_file")
ATTRIBUTION = Asset("recouvra://warehouse/core/attribution")



@dag(
    schedule=(PORTFOLIO | RETURNS),
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

    @task(pool=WAREHOUSE_WRITER_POOL, outlets=[ATTRIBUTION])
    def reconcile(_: dict) -> dict:
        from recouvra.airflow_adapter import warehouse_url
        from recouvra.reconcile import reconcile as run
        from recouvra.warehouse import connect

        with connect(warehouse_url()) as wh:
            report = run(wh, run_date().day)
        print(report.summary())
        return report.as_dict()

    reconcile(load_ledger())


collections_reconcile()

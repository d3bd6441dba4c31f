"""
### debtor_master

Turns the raw portfolio into a trustworthy debtor master: one legal entity, one debtor.
Runs whenever `portfolio_extract` publishes new snapshots (asset `source_snapshots`), for the date of
the extraction that published them (the event's `logical_date`).

0. `check_inputs`: the day's extraction must be in the lake (every table's manifest of that date);
   otherwise the run logs what is missing and does nothing (no event).
1. `load_staging`: merges the published lake snapshots into the warehouse's `staging` tables, in date
   order (logged in `meta.staging_load`; a re-run merges nothing new).
2. `build_debtor_master`: normalises and validates identifiers and contacts, groups affiliation numbers
   into legal entities (strong keys, then fuzzy matching within blocks; conflicting identifiers veto a
   merge), builds each golden record, and writes `core.dim_debtor` (with its history),
   `core.bridge_affiliation_debtor`, the evidence of every merge in `core.debtor_match_evidence`, and
   each debtor's portfolio features in `core.debtor_portfolio`. Re-running a date changes nothing.
   Emits `debtor_master` (extras: month, rows = debtors, logical_date), which triggers
   `collections_reconcile`; a date kept as built (a later day was built since) emits nothing.

Both tasks write the warehouse, one after the other (DuckDB allows one writer).
**On failure**: the log names the table or statement; nothing of a failed task is committed.
"""

from __future__ import annotations

from airflow.sdk import dag, task

from recouvra.airflow_adapter import DEFAULT_ARGS, START_DATE, WAREHOUSE_WRITER_POOL, run_date
from recouvra.airflow_adapter.assets import DEBTOR_MASTER, SOURCE_SNAPSHOTS, emit
from recouvra.airflow_adapter.readiness import check_inputs


@dag(
    schedule=[SOURCE_SNAPSHOTS],
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    tags=["recouvra", "debtor-master"],
    default_args=DEFAULT_ARGS,
    doc_md=__doc__,
)
def debtor_master() -> None:
    @task(pool=WAREHOUSE_WRITER_POOL)
    def load_staging() -> dict[str, int]:
        """Merge new lake snapshots into staging; rows merged per table."""
        from recouvra.airflow_adapter import settings, warehouse_url
        from recouvra.staging import load_staging as merge
        from recouvra.warehouse import connect

        s = settings()
        with connect(warehouse_url()) as wh:
            return merge(wh, s.path(s.storage.lake_dir))

    @task(pool=WAREHOUSE_WRITER_POOL, inlets=[SOURCE_SNAPSHOTS], outlets=[DEBTOR_MASTER])
    def build_debtor_master(merged: dict[str, int]) -> dict:
        """Resolve entities and write the debtor master; returns the counts (entities, merges)."""
        from recouvra.airflow_adapter import settings, warehouse_url
        from recouvra.debtor_master import build_debtor_master as build
        from recouvra.warehouse import connect

        s, when = settings(), run_date()
        with connect(warehouse_url()) as wh:
            report = build(wh, s.path(s.storage.lake_dir), when.day,
                           title_limit_years=s.programme.eligibility.title_limit_years,
                           match_cache=s.path(s.storage.match_cache_dir), retrain=s.debtor_master.retrain,
                           full_rebuild=s.debtor_master.full_rebuild)
        print(report.summary())
        emit(DEBTOR_MASTER, when.month, report.as_dict())
        return report.as_dict()

    merged = load_staging()
    check_inputs("debtor_master") >> merged
    build_debtor_master(merged)


debtor_master()

"""
### commission_monthly

Once a month, the commission statements of the month just ended: per dossier,
`commission_rate × attributed amount`, cumulated over the dossier's life, never above its cap
(30,000 DH unless the contract says less), reversals taking commission back. Runs when the month's
recalls are decided (asset `recalls`, emitted by `assignment_monthly`'s lifecycle refresh of the 1st,
itself run once the month before is closed by reconciliation): never before its inputs exist. Its month
is the one before its run date's (the 1st's extraction, or the logical date it is triggered with).

0. `check_inputs`: the month must be closed (the debtor master of the next month's 1st built) and a
   dossier published by then; otherwise the run logs what is missing and does nothing.
1. `compute_statements`: `core.commission_statement` for the month (a re-run replaces it and re-chains
   any later month already stored).
2. `check_integrity`: for every dossier, assigned = attributed + still open + recalled or closed, to the
   centime; no dossier above its cap; statement formulas hold. **Fails the run naming each dossier**
   that breaks a rule: nothing is sent to agencies then.
3. `build_files`: `outbox/CNSS_COMMISSION_<AGENCY>_<YYYYMM>.csv` with its manifest, per agency.
4. `publish` (mapped per agency, pool `sftp_agencies`): verified upload, manifest last.
5. `record_publication`: `core.publication_log` and the statement rows' file name; emits
   `commission_statements` (extras: month, rows = statement lines, files), which triggers `kpi_load`.
   A month with no statement line sends no file, records nothing and emits nothing.
"""

from __future__ import annotations

from airflow.sdk import dag, task

from recouvra.airflow_adapter import DEFAULT_ARGS, SFTP_POOL, START_DATE, WAREHOUSE_WRITER_POOL, run_date
from recouvra.airflow_adapter.assets import ATTRIBUTION, COMMISSION_STATEMENTS, PLACEMENTS, RECALLS, emit
from recouvra.airflow_adapter.readiness import check_inputs


@dag(
    schedule=[RECALLS],
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    tags=["recouvra", "commission", "sftp"],
    default_args=DEFAULT_ARGS,
    doc_md=__doc__,
)
def commission_monthly() -> None:
    @task(pool=WAREHOUSE_WRITER_POOL)
    def compute_statements() -> dict:
        from recouvra.airflow_adapter import warehouse_url
        from recouvra.commission import compute_statements as compute
        from recouvra.warehouse import connect

        with connect(warehouse_url()) as wh:
            report = compute(wh, run_date().previous_month)
        totals = {a: str(v) for a, v in sorted(report.totals().items())}
        print(f"commission {report.month}: {len(report.lines)} lines; this month by agency {totals}")
        return {"month": report.month, "lines": len(report.lines), "totals": totals}

    @task
    def check_integrity(computed: dict) -> dict:
        from airflow.sdk.exceptions import AirflowFailException

        from recouvra.airflow_adapter import settings, warehouse_url
        from recouvra.integrity import check_integrity as check
        from recouvra.warehouse import connect

        with connect(warehouse_url()) as wh:
            violations = check(wh, run_date().previous_month,
                               imputation_order=settings().programme.imputation_order)
        if violations:  # AirflowFailException: no retry, the data will not mend itself
            raise AirflowFailException(
                f"money integrity broken for {computed['month']} ({len(violations)}):\n"
                + "\n".join(str(v) for v in violations[:200])
            )
        return {"month": computed["month"], "violations": 0}

    @task
    def build_files(_: dict) -> list[dict]:
        from recouvra.airflow_adapter import settings, warehouse_url
        from recouvra.commission import build_commission_files
        from recouvra.warehouse import connect

        s = settings()
        out = s.path(s.storage.lake_dir).parent / "outbox"
        with connect(warehouse_url()) as wh:
            packages = build_commission_files(wh, run_date().previous_month, out)
        return [p.to_dict() for p in packages]

    @task(pool=SFTP_POOL, map_index_template="{{ task.op_kwargs['package']['agency'] }}")
    def publish(package: dict) -> dict:
        from recouvra.airflow_adapter import publish_for_agency

        return publish_for_agency(package)

    @task(pool=WAREHOUSE_WRITER_POOL, inlets=[PLACEMENTS, ATTRIBUTION, RECALLS],
          outlets=[COMMISSION_STATEMENTS])
    def record_publication(published: list[dict]) -> int:
        from recouvra.airflow_adapter import warehouse_url
        from recouvra.commission import record_commission_publication
        from recouvra.warehouse import connect

        published = list(published)
        with connect(warehouse_url()) as wh:
            marked = record_commission_publication(wh, published)
        emit(COMMISSION_STATEMENTS, run_date().previous_month, published)
        return marked

    computed = compute_statements()
    check_inputs("commission_monthly") >> computed
    record_publication(publish.expand(package=build_files(check_integrity(computed))))


commission_monthly()

"""
### warehouse_setup

Creates or migrates the warehouse schema (`staging`, `core`, `marts`, `meta`) from the versioned SQL
files in `include/sql/warehouse/`. Idempotent: a re-run applies nothing new and changes nothing.

- **Trigger**: once by itself (`@once`) when first unpaused, so a new deployment's scheduler builds the
  schema before any month (the demo waits for it); trigger it after every release that adds a migration.
- **Warehouse**: the `recouvra_warehouse` connection when defined (PostgreSQL in production), else
  the embedded DuckDB file of `config/recouvra.yaml`.
- **On failure**: the log names the migration file and statement; fix it and clear the task.
  An applied migration whose file changed fails on purpose: add a new `V00N__*.sql` instead.
"""

from __future__ import annotations

from airflow.sdk import dag, task

from recouvra.airflow_adapter import DEFAULT_ARGS, START_DATE, WAREHOUSE_WRITER_POOL


@dag(
    schedule="@once",
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    tags=["recouvra", "warehouse", "setup"],
    default_args=DEFAULT_ARGS,
    doc_md=__doc__,
)
def warehouse_setup() -> None:
    @task(pool=WAREHOUSE_WRITER_POOL)
    def migrate_warehouse() -> list[str]:
        """Apply pending migrations; returns the versions applied by this run."""
        from recouvra.airflow_adapter import warehouse_url
        from recouvra.warehouse import migrate

        return migrate(warehouse_url())

    @task
    def verify_warehouse(applied: list[str]) -> dict[str, int]:
        """Fail unless every schema the pipeline writes exists; returns the table count per schema."""
        from recouvra.airflow_adapter import warehouse_url
        from recouvra.warehouse import describe

        return describe(warehouse_url(), required_schemas=("staging", "core", "marts", "meta"))

    verify_warehouse(migrate_warehouse())


warehouse_setup()

"""The runbook's trigger and backfill recipes, read from docs/runbook.md by scripts/runbook_recipe.py
(which the production-form test runs against the Celery stack): found, complete, and made to stand for
another instant by changing its dates only."""

from __future__ import annotations

import datetime as dt
import importlib.util
import shlex
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
spec = importlib.util.spec_from_file_location("runbook_recipe", ROOT / "scripts" / "runbook_recipe.py")
assert spec and spec.loader
recipe = importlib.util.module_from_spec(spec)
spec.loader.exec_module(recipe)

FOUND = recipe.recipes((ROOT / "docs" / "runbook.md").read_text(encoding="utf-8"))
AUGUST_1ST_6H = dt.datetime(2026, 8, 1, 6, tzinfo=recipe.FUND_TZ)


def test_the_backfill_section_gives_a_recipe_for_each_kind_of_dag() -> None:
    assert "airflow dags trigger assignment_monthly --logical-date 2026-09-01T06:00:00+01:00" in FOUND
    assert "airflow dags trigger commission_monthly --logical-date 2026-09-02T08:00:00+01:00" in FOUND
    backfill = [c for c in FOUND if c.startswith("airflow backfill create")]
    assert backfill, FOUND
    words = shlex.split(backfill[0])
    # the range holds the extraction's instant (02:00), not a bare date (midnight: no run)
    assert (
        words[words.index("--from-date") + 1]
        == words[words.index("--to-date") + 1]
        == "2026-09-01T02:00:00+01:00"
    )


T = "2026-08-01T06:00:00+01:00"


@pytest.mark.parametrize(
    ("dag_id", "expected"),
    [
        ("assignment_monthly", f"airflow dags trigger assignment_monthly --logical-date {T}"),
        ("kpi_load", f"airflow dags trigger kpi_load --logical-date {T}"),
        (
            "portfolio_extract",
            f"airflow backfill create --dag-id portfolio_extract --from-date {T} --to-date {T} "
            "--reprocess-behavior failed",
        ),
        (
            "payments_weekly",
            f"airflow backfill create --dag-id payments_weekly --from-date {T} --to-date {T} "
            "--reprocess-behavior failed",
        ),
    ],
)
def test_a_dags_recipe_at_another_instant_changes_only_its_dates(dag_id: str, expected: str) -> None:
    assert recipe.at(recipe.recipe_for(dag_id, FOUND), AUGUST_1ST_6H) == expected

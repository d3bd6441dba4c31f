"""One word per concept (docs/glossary.md): the BI views keep every published column, in order, and
gain new names only at the end; retired words do not come back in Python identifiers."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from recouvra.warehouse import Warehouse, connect, migrate_connection

ROOT = Path(__file__).resolve().parents[2]

#: The columns each BI view published before the glossary (V011), in order: a contract with BI tools.
PUBLISHED: dict[str, tuple[str, ...]] = {
    "v_recovery_tier": (  # issue 17.2
        "as_of_month", "placement_tier", "agency_code", "dossiers_count", "assigned_amount",
        "recovered_to_date", "open_amount", "recalled_amount", "recovery_rate",
    ),
    "v_score_calibration": (  # V026
        "as_of_month", "decile", "dossiers_count", "weighted_due", "predicted_amount", "observed_amount",
        "predicted_rate", "observed_rate", "mean_likelihood", "horizon_months", "vintages_count",
        "model_source", "fitted_month", "computed_at",
    ),
    "v_agency_effect": (  # V025
        "as_of_month", "agency_code", "vintage", "months_on_book", "dossiers_count", "pool_dossiers_count",
        "strata_count", "dossiers_left_out", "assigned_amount", "recovered_amount", "agency_rate",
        "pool_rate", "effect", "ci_low", "ci_high", "significant", "finding", "computed_at",
    ),
    "v_agency_league": (
        "as_of_month", "agency_code", "league_rank", "dossiers_count", "assigned_amount", "recovered_to_date",
        "recovery_rate", "assigned_90d", "recovered_90d", "recovery_rate_90d", "open_amount",
        "commission_to_date", "cost_to_collect", "dossiers_worked", "dossiers_right_party_contact",
        "right_party_contact_rate", "dossiers_committed", "promises_count", "promises_kept",
        "promise_kept_rate", "plans_requested", "plans_signed", "plan_activation_rate", "plans_started",
        "plans_kept", "plan_kept_rate", "dossiers_located", "located_rate", "dossiers_assets_found",
        "assets_found_rate", "dossiers_data_updated", "data_update_rate", "dossiers_paying",
        "dossiers_paid_in_full", "computed_at",
    ),
    "v_agency_month": (
        "agency_code", "month", "dossiers_open", "dossiers_assigned", "dossiers_recalled", "assigned_amount",
        "open_amount", "actions_count", "reported_payments_amount", "matched_payments_amount",
        "attributed_in_month", "commission_in_month", "cost_to_collect",
    ),
    "v_cohort_outcome": (
        "as_of_month", "agency_code", "placement_month", "segment", "region", "as_of_date", "dossiers_count",
        "assigned_amount", "recovered_30d", "recovered_60d", "recovered_90d", "recovered_to_date",
        "recovery_rate_30d", "recovery_rate_60d", "recovery_rate_90d", "recovery_rate", "dossiers_worked",
        "dossiers_right_party_contact", "right_party_contact_rate", "dossiers_committed", "promises_count",
        "promises_kept", "promise_kept_rate", "plans_requested", "plans_signed", "plan_activation_rate",
        "plans_started", "plans_kept", "plan_kept_rate", "dossiers_located", "located_rate",
        "dossiers_assets_found", "assets_found_rate", "dossiers_data_updated", "data_update_rate",
        "dossiers_paying", "dossiers_paid_in_full", "open_amount", "commission_to_date", "cost_to_collect",
        "computed_at",
    ),
    "v_portfolio_coverage": (
        "month", "segment", "region", "debtors_in_portfolio", "debtors_eligible", "debtors_placed",
        "portfolio_amount", "eligible_amount", "placed_amount", "coverage_debtors_rate",
        "coverage_amount_rate", "remaining_open_amount", "coverage_portfolio_rate", "recovered_to_date",
    ),
    "v_recovery_vintage": (
        "agency_code", "placement_month", "segment", "region", "months_since_placement", "dossiers_count",
        "assigned_amount", "recovered_amount", "recovery_rate",
    ),
}

#: New names added beside a published one (new -> old): same value, documented in docs/kpi.md.
ALIASES: dict[str, dict[str, str]] = {"v_agency_month": {"recovered_in_month": "attributed_in_month"}}

#: Retired words (docs/glossary.md) that no Python identifier of the code may contain again.
RETIRED_IN_IDENTIFIERS = ("normalise", "file_set", "selection_month")


@pytest.fixture()
def wh(tmp_path: Path) -> Iterator[Warehouse]:
    with connect(f"duckdb:///{(tmp_path / 'warehouse.duckdb').as_posix()}") as conn:
        migrate_connection(conn)
        yield conn


def _columns(wh: Warehouse, view: str) -> list[str]:
    return [str(c) for (c,) in wh.query(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = 'marts' AND table_name = ? "
        "ORDER BY ordinal_position", [view])]


@pytest.mark.parametrize("view", sorted(PUBLISHED))
def test_a_bi_view_keeps_its_published_columns_in_order_and_adds_only_at_the_end(wh: Warehouse,
                                                                                 view: str) -> None:
    columns = _columns(wh, view)
    published = list(PUBLISHED[view])
    assert columns[: len(published)] == published, f"marts.{view} changed a published column"
    added = columns[len(published):]
    assert added == list(ALIASES.get(view, {})), f"marts.{view}: undeclared new columns {added}"
    doc = (ROOT / "docs" / "kpi.md").read_text(encoding="utf-8")
    for column in added:
        assert f"`{column}`" in doc, f"marts.{view}.{column} is not documented in docs/kpi.md"


def test_a_new_name_carries_the_same_value_as_the_old_one(wh: Warehouse) -> None:
    with wh.transaction():
        wh.execute(
            "INSERT INTO marts.kpi_agency_month (agency_code, month, dossiers_open, dossiers_assigned, "
            "dossiers_recalled, assigned_amount, open_amount, actions_count, reported_payments_amount, "
            "matched_payments_amount, attributed_in_month, commission_in_month, cost_to_collect, "
            "computed_at) "
            "VALUES ('AG01', DATE '2026-11-01', 3, 3, 0, 900.00, 850.00, 7, 60.00, 50.00, 48.25, 1.45, "
            "0.030052, TIMESTAMP '2026-12-01 00:00:00')"
        )
    for view, pairs in ALIASES.items():
        for new, old in pairs.items():
            rows = wh.query(f"SELECT {new}, {old} FROM marts.{view}")
            assert rows and all(a == b for a, b in rows), (view, new, old, rows)
    assert wh.query("SELECT recovered_in_month FROM marts.v_agency_month") == [(Decimal("48.25"),)]


def _identifiers(tree: ast.AST) -> Iterator[tuple[int, str]]:
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            yield node.lineno, node.name
        elif isinstance(node, ast.arg):
            yield node.lineno, node.arg
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            yield node.lineno, node.id
        elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
            yield node.lineno, node.attr
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            yield node.lineno, node.target.id


def retired_identifiers(paths: list[Path]) -> list[str]:
    found = []
    for path in paths:
        for line, name in _identifiers(ast.parse(path.read_text(encoding="utf-8"))):
            if any(word in name.lower() for word in RETIRED_IN_IDENTIFIERS):
                where = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path.name
                found.append(f"{where}:{line}: {name}")
    return found


def test_the_detector_finds_a_retired_word_it_is_shown(tmp_path: Path) -> None:
    sample = tmp_path / "probe.py"
    sample.write_text("def normalise_type(selection_month: str) -> str:\n    file_set = 1\n    return ''\n"
                      "def normalize_type(value: str) -> str:\n    return value  # normalise in a comment\n")
    assert sorted(f.split(": ")[1] for f in retired_identifiers([sample])) == [
        "file_set", "normalise_type", "selection_month"]


def test_retired_words_do_not_come_back_in_python_identifiers() -> None:
    paths = sorted((ROOT / "include" / "recouvra").rglob("*.py")) + sorted((ROOT / "dags").glob("*.py")) + \
        sorted((ROOT / "plugins").rglob("*.py"))
    assert retired_identifiers(paths) == []

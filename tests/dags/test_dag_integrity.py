"""Every DAG loads, follows the house rules, and imports nothing heavy at parse time."""

from __future__ import annotations

import ast
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DAGS_DIR = ROOT / "dags"
DAG_FILES = sorted(p for p in DAGS_DIR.glob("*.py") if not p.name.startswith("_"))
REQUIRED_KWARGS = {"schedule", "start_date", "catchup", "tags", "default_args", "doc_md"}
# Parse-time imports that would slow every scheduler loop (CONVENTIONS.md: nothing heavy at parse time).
HEAVY = (
    "pandas", "pyarrow", "great_expectations", "duckdb", "numpy", "psycopg", "rapidfuzz",
    "phonenumbers", "stdnum", "splink", "recouvra.standins.generator", "recouvra.warehouse",
)


def _dagbag(folder: Path, *, demo: bool):  # type: ignore[no-untyped-def]
    """The DAGs of ``folder`` as a DAG processor parses them, in the demo (RECOUVRA_DEMO_DAGS=1: the
    demo-only DAGs too) or in production (the variable unset)."""
    home = tempfile.mkdtemp(prefix="recouvra-airflow-home-")
    os.environ.setdefault("AIRFLOW_HOME", home)
    os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
    os.environ.setdefault("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", f"sqlite:///{home}/airflow.db")
    try:
        from airflow.dag_processing.dagbag import DagBag
    except ImportError:  # older layout
        from airflow.models import DagBag  # type: ignore[attr-defined,no-redef]
    before = os.environ.pop("RECOUVRA_DEMO_DAGS", None)
    if demo:
        os.environ["RECOUVRA_DEMO_DAGS"] = "1"
    try:
        return DagBag(dag_folder=str(folder))
    finally:
        os.environ.pop("RECOUVRA_DEMO_DAGS", None)
        if before is not None:
            os.environ["RECOUVRA_DEMO_DAGS"] = before


@pytest.fixture(scope="module")
def dagbag():  # type: ignore[no-untyped-def]
    """Every DAG, the demo-only ones included (the demo's scheduler loads them all)."""
    return _dagbag(DAGS_DIR, demo=True)


@pytest.fixture(scope="module")
def production_dagbag():  # type: ignore[no-untyped-def]
    """The DAGs production loads: RECOUVRA_DEMO_DAGS unset."""
    return _dagbag(DAGS_DIR, demo=False)


def test_production_never_loads_a_demo_only_dag(dagbag, production_dagbag) -> None:  # type: ignore[no-untyped-def]
    demo_only = {d for d, dag in dagbag.dags.items() if "demo" in dag.tags}
    assert demo_only == {"demo_agencies"}, "the simulated agencies are the one demo-only DAG, tagged demo"
    assert set(production_dagbag.dags) == set(dagbag.dags) - demo_only
    assert production_dagbag.import_errors == {}
    assert not any("demo" in dag.tags for dag in production_dagbag.dags.values())


def test_there_are_dags() -> None:
    assert DAG_FILES, "dags/ holds no DAG file"


def test_no_import_errors(dagbag) -> None:  # type: ignore[no-untyped-def]
    assert dagbag.import_errors == {}, dagbag.import_errors


@pytest.mark.parametrize("path", DAG_FILES, ids=lambda p: p.stem)
def test_one_dag_per_file_named_after_it(dagbag, path: Path) -> None:  # type: ignore[no-untyped-def]
    ids = [d.dag_id for d in dagbag.dags.values() if Path(d.fileloc).resolve() == path.resolve()]
    assert ids == [path.stem], f"{path.name} must define exactly one DAG, with dag_id {path.stem!r}"


@pytest.mark.parametrize("path", DAG_FILES, ids=lambda p: p.stem)
def test_a_dag_file_is_wiring_only(path: Path) -> None:
    # Thin DAGs: at most 120 lines in all; the logic lives in the domain package.
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) <= 120, f"{path.name} has {len(lines)} lines: move logic into include/recouvra"


@pytest.mark.parametrize("path", DAG_FILES, ids=lambda p: p.stem)
def test_decorator_sets_required_arguments(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    decorated = [
        (fn, dec)
        for fn in tree.body
        if isinstance(fn, ast.FunctionDef)
        for dec in fn.decorator_list
        if isinstance(dec, ast.Call) and getattr(dec.func, "id", None) == "dag"
    ]
    assert len(decorated) == 1, f"{path.name}: one @dag(...) function expected"
    fn, dec = decorated[0]
    assert fn.name == path.stem, "decorated function name = dag_id = file stem"
    missing = REQUIRED_KWARGS - {k.arg for k in dec.keywords}
    assert not missing, f"{path.name}: @dag lacks {sorted(missing)}"
    assert ast.get_docstring(tree), f"{path.name}: a Markdown module docstring feeds doc_md"


@pytest.mark.parametrize("path", DAG_FILES, ids=lambda p: p.stem)
def test_dag_arguments_are_sound(dagbag, path: Path) -> None:  # type: ignore[no-untyped-def]
    dag = dagbag.dags[path.stem]
    assert dag.tags, "tags are required"
    assert dag.doc_md and dag.doc_md.strip(), "doc_md is required"
    assert dag.catchup is False or dag.catchup is True
    assert dag.start_date is not None
    args = dag.default_args
    assert args.get("retries", 0) >= 2, "retries >= 2"
    assert isinstance(args.get("retry_delay"), dt.timedelta), "a retry_delay is required"
    for task in dag.tasks:
        assert task.retries >= 2, f"{task.task_id}: retries >= 2"


def test_every_mapped_task_names_its_instances(dagbag) -> None:  # type: ignore[no-untyped-def]
    """A mapped task's instances show a label in the UI (the agency, the table), not 0, 1, 2: its
    ``map_index_template`` renders from the argument it is expanded over."""
    mapped = [(dag.dag_id, t) for dag in dagbag.dags.values() for t in dag.tasks if t.is_mapped]
    assert len(mapped) >= 7, "the per-agency and per-table tasks are mapped"
    unnamed = []
    for dag_id, task in mapped:
        template = task.map_index_template or ""
        # the argument(s) given to .expand(...); a @task's are its op_kwargs_expand_input
        over = list((getattr(task, "op_kwargs_expand_input", None) or task.expand_input).value)
        if not any(f"op_kwargs['{arg}']" in template for arg in over):
            unnamed.append(f"{dag_id}.{task.task_id} (expanded over {over}): {template!r}")
    assert not unnamed, "mapped tasks without a map_index_template naming what they map over:\n" + "\n".join(
        unnamed
    )


@pytest.mark.parametrize("path", DAG_FILES, ids=lambda p: p.stem)
def test_nothing_heavy_at_parse_time(path: Path, tmp_path: Path) -> None:
    """Parsing the file must not import what the Airflow SDK does not already import."""
    probe = f"""
import json, runpy, sys
import airflow.sdk  # the baseline: what Airflow itself loads
before = set(sys.modules)
runpy.run_path({str(path)!r})
added = set(sys.modules) - before
heavy = {HEAVY!r}
print(json.dumps(sorted(m for m in added if m.startswith(heavy))))
"""
    env = {**os.environ, "AIRFLOW_HOME": str(tmp_path), "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
           "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{tmp_path}/airflow.db"}
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, env=env, timeout=120, check=False
    )
    assert out.returncode == 0, out.stderr[-2000:]
    heavy = json.loads(out.stdout.strip().splitlines()[-1])
    assert heavy == [], f"{path.name} imports at parse time: {heavy}"


# ------------------------------------------------------------------------- data-aware scheduling
#: What each asset-scheduled DAG waits for (docs/architecture.md, "Data-aware scheduling").
SCHEDULED_ON = {
    "demo_agencies": {"placements"},  # the demo only: the agencies answer the month's packages
    "debtor_master": {"source_snapshots"},
    "collections_reconcile": {"debtor_master", "return_files"},
    "assignment_monthly": {"debtor_master", "attribution"},
    "commission_monthly": {"recalls"},
    "kpi_load": {"commission_statements"},
}


def _assets_in(condition):  # type: ignore[no-untyped-def]
    from airflow.sdk import Asset

    if isinstance(condition, Asset):
        yield condition
    for part in getattr(condition, "objects", ()):
        yield from _assets_in(part)


def _produced(dagbag):  # type: ignore[no-untyped-def]
    """{asset name: ["dag.task", ...]} of every outlet."""
    out: dict[str, list[str]] = {}
    for dag in dagbag.dags.values():
        for task in dag.tasks:
            for asset in task.outlets:
                out.setdefault(asset.name, []).append(f"{dag.dag_id}.{task.task_id}")
    return out


def _consumed(dagbag):  # type: ignore[no-untyped-def]
    """{asset name: [dag_id, ...]} of every DAG scheduled on assets."""
    out: dict[str, list[str]] = {}
    for dag in dagbag.dags.values():
        for asset in _assets_in(getattr(dag.timetable, "asset_condition", None)):
            out.setdefault(asset.name, []).append(dag.dag_id)
    return out


def test_every_asset_comes_from_the_one_module_that_defines_them(dagbag) -> None:  # type: ignore[no-untyped-def]
    from recouvra.airflow_adapter.assets import ASSETS

    defined = {(a.name, a.uri, a.group) for a in ASSETS}
    for dag in dagbag.dags.values():
        used = [a for t in dag.tasks for a in t.outlets] + list(_assets_in(getattr(dag.timetable,
                                                                                  "asset_condition", None)))
        for asset in used:
            assert (asset.name, asset.uri, asset.group) in defined, f"{dag.dag_id}: {asset} not in assets.py"
    for path in DAG_FILES:  # no DAG file makes an asset of its own
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names = [getattr(n.func, "id", getattr(n.func, "attr", None)) for n in ast.walk(tree)
                 if isinstance(n, ast.Call)]
        calls = [name for name in names if name in {"Asset", "AssetAlias", "Dataset"}]
        assert not calls, f"{path.name} defines an Asset: define it in recouvra/airflow_adapter/assets.py"


def test_every_produced_asset_is_consumed_or_terminal_with_a_reason(production_dagbag) -> None:  # type: ignore[no-untyped-def]
    from recouvra.airflow_adapter.assets import ASSETS, TERMINAL

    produced, consumed = _produced(production_dagbag), _consumed(production_dagbag)
    assert set(produced) == {a.name for a in ASSETS}, "every asset defined is produced by a DAG"
    unconsumed = set(produced) - set(consumed)
    assert unconsumed == set(TERMINAL), f"produced, not consumed, not terminal: {unconsumed - set(TERMINAL)}"
    assert all(len(reason) > 20 for reason in TERMINAL.values()), "a terminal asset says who consumes it"
    orphans = set(consumed) - set(produced)
    assert not orphans, f"DAGs wait for assets that nothing produces: {orphans}"


def test_the_dags_wait_for_their_inputs_and_the_monthly_ones_never_run_on_the_clock(dagbag) -> None:  # type: ignore[no-untyped-def]
    from airflow.sdk.definitions.timetables.assets import AssetTriggeredTimetable

    waits = {dag_id: {a.name for a in _assets_in(getattr(dag.timetable, "asset_condition", None))}
             for dag_id, dag in dagbag.dags.items()}
    assert {d: w for d, w in waits.items() if w} == SCHEDULED_ON
    for dag_id in ("assignment_monthly", "commission_monthly", "kpi_load"):
        timetable = dagbag.dags[dag_id].timetable
        assert type(timetable) is AssetTriggeredTimetable, f"{dag_id} must wait for its inputs, not a clock"


def test_asset_uris_are_standard_unique_grouped_and_lineage_ready() -> None:
    import urllib.parse

    from airflow.sdk.providers_manager_runtime import ProvidersManagerTaskRuntime

    from recouvra.airflow_adapter.assets import ASSETS

    converters = ProvidersManagerTaskRuntime().asset_to_openlineage_converters
    assert len({a.name for a in ASSETS}) == len({a.uri for a in ASSETS}) == len(ASSETS), "unique names, URIs"
    for asset in ASSETS:
        parts = urllib.parse.urlsplit(asset.uri)
        assert parts.scheme in {"file", "postgres"}, asset.uri
        # a provider checked and normalised the URI (the postgres one wants host:port/database/schema/table)
        assert asset.normalized_uri == asset.uri, asset.uri
        assert parts.scheme in converters, f"no installed provider turns {asset.uri} into OpenLineage"
        assert asset.group in {"lake", "core", "marts", "files"}, f"{asset.name}: group {asset.group!r}"
        if parts.scheme == "postgres":
            assert parts.path.split("/")[2] == asset.group, f"{asset.name}: group = the warehouse schema"


def test_the_architecture_documents_every_asset_with_its_producers_and_consumers(dagbag) -> None:  # type: ignore[no-untyped-def]
    from recouvra.airflow_adapter.assets import ASSETS

    doc = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8").splitlines()
    produced, consumed = _produced(dagbag), _consumed(dagbag)
    for asset in ASSETS:
        rows = [line for line in doc if line.startswith("|") and f"`{asset.name}`" in line.split("|")[1]]
        assert len(rows) == 1, f"docs/architecture.md: one table row for asset {asset.name}"
        for name in produced[asset.name] + consumed.get(asset.name, []):
            assert f"`{name}`" in rows[0], f"docs/architecture.md, {asset.name}: {name} missing"


def test_the_replay_triggers_exactly_the_dags_no_backfill_can_take(dagbag) -> None:  # type: ignore[no-untyped-def]
    """scripts/demo-lib.sh under RUNNER=scheduler (scripts/backfill.sh): `airflow backfill create` takes
    only DAGs on a clock; the asset-scheduled and unscheduled ones are triggered with the logical date."""
    import re

    from airflow.sdk.definitions.timetables.assets import AssetTriggeredTimetable
    from airflow.sdk.definitions.timetables.simple import NullTimetable, OnceTimetable

    lib = (ROOT / "scripts" / "demo-lib.sh").read_text(encoding="utf-8")
    triggered = {d for pattern in re.findall(r"^\s+([\w|]+)\) how=trigger ;;$", lib, re.MULTILINE)
                 for d in pattern.split("|")}
    # warehouse_setup runs @once by itself when the scheduler creates runs (the demo), not in the replay;
    # the replay's agencies answer through `recouvra simulate-agencies`, not the demo-only DAG.
    unclocked = {d for d, dag in dagbag.dags.items()
                 if isinstance(dag.timetable, AssetTriggeredTimetable | NullTimetable | OnceTimetable)}
    unclocked -= {"assignment_topup", "demo_agencies"}
    assert triggered == unclocked, "scripts/demo-lib.sh: the DAGs run_dag triggers instead of backfilling"


#: The DAGs that write a day or a month of the warehouse or send files: each checks its inputs first.
INPUT_CHECKED = ("debtor_master", "collections_reconcile", "assignment_monthly", "commission_monthly",
                 "kpi_load", "payments_weekly")


@pytest.mark.parametrize("dag_id", INPUT_CHECKED)
def test_a_run_without_its_inputs_stops_at_check_inputs_before_anything_else(dagbag, dag_id: str) -> None:  # type: ignore[no-untyped-def]
    """check_inputs is a short-circuit ahead of every other task: when it says the inputs are missing,
    the scheduler skips the rest (trigger rules ignored: nothing built, published, recorded or emitted)."""
    dag = dagbag.dags[dag_id]
    gate = dag.get_task("check_inputs")
    assert type(gate).__name__ == "_ShortCircuitDecoratedOperator"
    assert gate.ignore_downstream_trigger_rules
    assert not gate.upstream_task_ids
    later = {t.task_id for t in gate.get_flat_relatives(upstream=False)}
    assert later == set(dag.task_ids) - {"check_inputs"}
    assert not gate.outlets  # the gate itself emits nothing

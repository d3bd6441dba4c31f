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


@pytest.fixture(scope="module")
def dagbag():  # type: ignore[no-untyped-def]
    home = tempfile.mkdtemp(prefix="recouvra-airflow-home-")
    os.environ.setdefault("AIRFLOW_HOME", home)
    os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
    os.environ.setdefault("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", f"sqlite:///{home}/airflow.db")
    try:
        from airflow.dag_processing.dagbag import DagBag
    except ImportError:  # older layout
        from airflow.models import DagBag  # type: ignore[attr-defined,no-redef]
    return DagBag(dag_folder=str(DAGS_DIR))


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

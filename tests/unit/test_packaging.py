"""Packaging: pyproject.toml declares every third-party package the code imports, with a pin in
requirements.txt, so that a plain `pip install .` (with the `airflow` extra for the adapter) works."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# import name -> distribution name, where they differ
DISTRIBUTION = {
    "yaml": "pyyaml", "sqlalchemy": "sqlalchemy", "stdnum": "python-stdnum",
    "text_unidecode": "text-unidecode", "markdown_it": "markdown-it-py",
    "great_expectations": "great-expectations", "airflow": "apache-airflow", "attr": "attrs",
    "openlineage": "openlineage-python",
}


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _requirement_names(lines: list[str]) -> set[str]:
    return {_norm(re.split(r"[\[<>=!~ ;]", line.strip(), maxsplit=1)[0]) for line in lines
            if line.strip() and not line.strip().startswith(("#", "-"))}


def _imported_distributions() -> dict[str, str]:
    found: dict[str, str] = {}
    for path in sorted((ROOT / "include" / "recouvra").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import) else
                     [node.module] if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module
                     else [])
            for name in names:
                top = name.split(".")[0]
                if top != "recouvra" and top not in sys.stdlib_module_names:
                    found.setdefault(_norm(DISTRIBUTION.get(top, top)), str(path.relative_to(ROOT)))
    return found


def test_every_imported_package_is_declared_and_pinned() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    declared = _requirement_names(project["dependencies"])
    extras = {_norm(n) for deps in project["optional-dependencies"].values()
              for n in _requirement_names(deps)}
    pinned = _requirement_names((ROOT / "requirements.txt").read_text(encoding="utf-8").splitlines())
    imported = _imported_distributions()
    assert imported, "no import found: the scan is broken"
    missing = {d: where for d, where in imported.items() if d not in declared | extras}
    assert not missing, f"imported but not declared in pyproject.toml: {missing}"
    unpinned = {d for d in declared | extras if d not in pinned}
    assert not unpinned, f"declared but not pinned in requirements.txt: {sorted(unpinned)}"
    # only the Airflow adapter needs Airflow: the core's own dependencies never name it
    assert "apache-airflow" not in declared and "apache-airflow" in extras


def test_the_package_list_names_every_package_and_ships_sql_and_configuration() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    setuptools_cfg = pyproject["tool"]["setuptools"]
    on_disk = {
        ".".join(p.parent.relative_to(ROOT / "include").parts)
        for p in (ROOT / "include" / "recouvra").rglob("__init__.py")
    }
    listed = set(setuptools_cfg["packages"])
    assert on_disk <= listed, f"packages missing from pyproject.toml: {sorted(on_disk - listed)}"
    data = {"recouvra._sql": "include/sql", "recouvra._config": "config"}
    assert listed - on_disk == set(data)
    for package, folder in data.items():
        assert setuptools_cfg["package-dir"][package] == folder
        patterns = setuptools_cfg["package-data"][package]
        shipped = {p for pattern in patterns for p in (ROOT / folder).glob(pattern)}
        wanted = {p for p in (ROOT / folder).rglob("*") if p.suffix in (".sql", ".yaml")}
        assert wanted and shipped == wanted, f"{folder}: not shipped: {sorted(map(str, wanted - shipped))}"

"""The import contracts of pyproject.toml ([tool.importlinter]) hold, and would catch a breach.

`make lint` runs `lint-imports`; these tests show that it fails, naming the contract, when a stage
imports Airflow, when the kernel imports a stage (a layer breach and a cycle), or when production code
imports a stand-in: each case runs on a copy of the package with one line added.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _lint(package_parent: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    if package_parent is not None:  # the copy comes first on the path, before the installed package
        env["PYTHONPATH"] = str(package_parent)
    return subprocess.run([str(LINT_IMPORTS), "--config", str(ROOT / "pyproject.toml"), "--no-cache"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)


def test_the_package_keeps_every_contract() -> None:
    run = _lint()
    assert run.returncode == 0, run.stdout[-3000:]
    assert "BROKEN" not in run.stdout and run.stdout.count("KEPT") == 4


@pytest.mark.parametrize(("module", "line", "contract"), [
    ("kpi.py", "import airflow.sdk", "Only the Airflow adapter imports Airflow"),
    ("warehouse.py", "def _late():\n    from recouvra import kpi", "Stages import only earlier stages"),
    ("selection/scoring.py", "from recouvra.selection import monthly", "No import cycle"),
    ("publication.py", "from recouvra.standins.generator import seed",
     "Production code never imports the stand-ins"),
])
def test_a_breach_fails_the_lint_naming_its_contract(tmp_path: Path, module: str, line: str,
                                                      contract: str) -> None:
    copy = tmp_path / "recouvra"
    shutil.copytree(ROOT / "include" / "recouvra", copy, ignore=shutil.ignore_patterns("__pycache__"))
    target = copy / module
    target.write_text(target.read_text(encoding="utf-8") + f"\n\n{line}\n", encoding="utf-8")
    run = _lint(tmp_path)
    assert run.returncode != 0, run.stdout[-3000:]
    broken = run.stdout[run.stdout.index("Broken contracts"):]
    assert contract in broken, run.stdout[-3000:]


def _has_logic(path: Path) -> bool:
    """A module with a function (or a method): class-only declarations and re-exports carry no logic."""
    import ast

    return any(isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)
               for n in ast.walk(ast.parse(path.read_text(encoding="utf-8"))))


def test_every_module_with_logic_has_its_mirrored_test_file() -> None:
    """include/recouvra/<pkg>/<mod>.py is tested by tests/unit/<pkg>/test_<mod>.py (a package's
    __init__ by tests/unit/<pkg>/test_<pkg>.py)."""
    package = ROOT / "include" / "recouvra"
    missing = []
    for module in sorted(package.rglob("*.py")):
        if not _has_logic(module):
            continue
        rel = module.relative_to(package)
        name = rel.parent.name if rel.name == "__init__.py" else rel.stem
        wanted = ROOT / "tests" / "unit" / rel.parent / f"test_{name}.py"
        if not wanted.is_file():
            missing.append(f"{module.relative_to(ROOT)} -> {wanted.relative_to(ROOT)}")
    assert not missing, "modules without their mirrored test file:\n" + "\n".join(missing)

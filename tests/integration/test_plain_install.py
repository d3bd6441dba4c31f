"""A plain, non-editable `pip install .` works away from the checkout: the wheel carries the SQL files
and the default configuration, relative data paths resolve against $RECOUVRA_HOME (else the current
directory), and the commands that read SQL files (seed, warehouse migrate, dedupe) run from it.

The wheel is built by pip with build isolation (setuptools from the index, as any user would); the
third-party dependencies come from the project's virtualenv, appended after the new environment's
own site-packages so that `recouvra` itself is the installed copy, never the checkout.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _run(cmd: list[str], cwd: Path, env: dict[str, str], timeout: int = 600) -> str:
    done = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"{' '.join(cmd)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    tmp = tmp_path_factory.mktemp("plain_install")
    wheels = tmp / "wheels"
    _run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(wheels), str(ROOT)],
         cwd=tmp, env={**os.environ})
    (wheel,) = wheels.glob("recouvra-*.whl")
    env_dir = tmp / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    python = env_dir / "bin" / "python"
    _run([str(python), "-m", "pip", "install", "-q", "--no-deps", str(wheel)], cwd=tmp, env={**os.environ})
    purelib = _run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                   cwd=tmp, env={**os.environ}).strip()
    (Path(purelib) / "zz_project_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "RECOUVRA_CONFIG", "RECOUVRA_DATA_DIR", "RECOUVRA_CITIES")
           and not k.startswith("RECOUVRA__")}
    home = tmp / "home"
    home.mkdir()
    env["RECOUVRA_HOME"] = str(home)
    return env_dir, env


def test_the_installed_package_finds_its_sql_and_configuration(installed: tuple[Path, dict[str, str]],
                                                                tmp_path: Path) -> None:
    env_dir, env = installed
    probe = (
        "import json, recouvra, recouvra.sqlfiles as s, recouvra.config as c, recouvra.normalize as n;"
        "print(json.dumps({'package': recouvra.__file__, 'sql': str(s.sql_root()),"
        " 'config': str(c.DEFAULT_CONFIG), 'cities': str(n.DEFAULT_CITIES),"
        " 'root': str(c.load_settings().root), 'query': s.query('kpi/select_agency_league')[:2]}))"
    )
    out = json.loads(_run([str(env_dir / "bin" / "python"), "-c", probe], cwd=tmp_path, env=env))
    site = str(env_dir)
    assert out["package"].startswith(site), out
    assert out["sql"].startswith(site) and out["sql"].endswith("recouvra/_sql"), out
    assert out["config"].startswith(site) and out["cities"].startswith(site), out
    assert out["root"] == env["RECOUVRA_HOME"], out
    assert out["query"] == "--"


def test_the_installed_commands_run_against_data_under_the_home(installed: tuple[Path, dict[str, str]],
                                                               tmp_path: Path) -> None:
    env_dir, env = installed
    home = Path(env["RECOUVRA_HOME"])
    cli = str(env_dir / "bin" / "recouvra")
    _run([cli, "seed", "--scale", "40", "--seed", "3"], cwd=tmp_path, env=env)
    _run([cli, "warehouse", "migrate"], cwd=tmp_path, env=env)
    data = home / "data"
    assert (data / "source.db").is_file(), sorted(p.name for p in data.iterdir())
    assert (data / "warehouse.duckdb").is_file(), sorted(p.name for p in data.iterdir())
    records = tmp_path / "records.csv"
    records.write_text(
        "record_id;name;ice;city\n"
        "1;Atlas Transport SARL;001524878000041;Casablanca\n"
        "2;ATLAS TRANSPORT S.A.R.L.;001524878000041;Casablanca\n"
        "3;Boulangerie Nour;;Fès\n",
        encoding="utf-8",
    )
    out = tmp_path / "entities.csv"
    _run([cli, "dedupe", "--input", str(records), "--output", str(out), "--quiet"], cwd=tmp_path, env=env)
    rows = [line.split(";") for line in out.read_text(encoding="utf-8").splitlines()[1:]]
    entity = dict((r[0], r[1]) for r in rows)
    assert set(entity) == {"1", "2", "3"}
    assert entity["1"] == entity["2"] != entity["3"]

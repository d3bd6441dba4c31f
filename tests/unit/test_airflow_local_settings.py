"""plugins/airflow_local_settings.py: the demo's scheduler preloads the tasks' libraries; nothing else
does (production, the api-server, a CLI call)."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[2]


def _module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("recouvra_test_local_settings",
                                                  ROOT / "plugins" / "airflow_local_settings.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # pytest's argv: no preload
    return module


def test_only_the_demo_s_scheduler_preloads_the_task_libraries() -> None:
    settings = _module()
    demo = {settings.PRELOAD_ENV: "1"}
    assert settings.preload(["airflow", "scheduler"], {}) == []  # production: the variable is unset
    assert settings.preload(["airflow", "api-server"], demo) == []
    assert settings.preload(["airflow", "backfill", "create"], demo) == []
    loaded = settings.preload(["airflow", "scheduler"], demo)
    assert loaded == list(settings.PRELOADED)  # every module imports, none of them Airflow's
    assert all(name in sys.modules for name in loaded)


def test_what_the_scheduler_preloads_starts_no_thread_so_its_forks_stay_safe() -> None:
    probe = ("import runpy, sys, threading; sys.argv = ['airflow', 'scheduler']; "
             f"runpy.run_path({str(ROOT / 'plugins' / 'airflow_local_settings.py')!r}); "
             "import great_expectations, duckdb; print(threading.active_count())")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=300,
                         env={**os.environ, "RECOUVRA_PRELOAD_TASK_MODULES": "1"}, check=False)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split()[-1] == "1"  # the main thread only

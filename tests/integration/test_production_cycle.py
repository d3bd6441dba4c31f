"""The production form end to end, natively: the demo's months, every DAG, the agencies' returns
included, run by Airflow's scheduler on the Celery executor with PostgreSQL for Airflow's metadata, the
fund's source and the warehouse, Redis as the broker and OpenSSH's sshd on loopback with one chrooted
SFTP account per agency (``scripts/production-cycle.sh``); its outputs are the embedded default's.

The embedded default is the same months replayed under the scheduler with SQLite, DuckDB and the
embedded SFTP server (``scripts/backfill.sh``); both are reduced to ``recouvra fingerprint`` (every file
the fund wrote in the agencies' homes, every mart row) and compared: zero differences. Set
``RECOUVRA_E2E_REFERENCE`` to a fingerprint of that replay (same SCALE, SEED, months) to skip
re-making it. Months: ``RECOUVRA_E2E_MONTHS`` (default 3, as the issue asks: July to September
assigned, October closing; docs/benchmarks.md gives the times).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from recouvra.fingerprint import compare

pytestmark = [pytest.mark.postgres, pytest.mark.airflow, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
MONTHS = os.environ.get("RECOUVRA_E2E_MONTHS", "3")


def _missing(config: pytest.Config, what: str, how: str) -> None:
    root_conftest = ROOT / "tests" / "conftest.py"
    for plugin in config.pluginmanager.get_plugins():
        if getattr(plugin, "__file__", None) and Path(plugin.__file__).resolve() == root_conftest:
            plugin.missing_component(what, how)
            return
    raise RuntimeError(f"{root_conftest} is not loaded")


def _run(script: str, target: Path, env: dict[str, str]) -> float:
    t0 = time.monotonic()
    run = subprocess.run(
        ["bash", str(ROOT / "scripts" / script), str(target)],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=3600,
        check=False,
    )
    assert run.returncode == 0, f"{script}:\n{run.stdout[-6000:]}\n{run.stderr[-3000:]}"
    return time.monotonic() - t0


def test_the_production_form_makes_what_the_embedded_default_makes(
    tmp_path: Path, pg_admin_url: str, pytestconfig: pytest.Config
) -> None:
    import redis

    for ok, what, how in (
        (Path("/usr/sbin/sshd").exists(), "OpenSSH's sshd", "apt-get install openssh-server"),
        (shutil.which("useradd") is not None, "useradd", "apt-get install passwd"),
        (
            os.geteuid() == 0,
            "root (agency users, sshd's ChrootDirectory)",
            "run the integration tests as root, as CI does",
        ),
    ):
        if not ok:
            _missing(pytestconfig, what, how)
    broker = os.environ.get("RECOUVRA_E2E_BROKER_URL", "redis://127.0.0.1:6379/9")
    try:
        redis.Redis.from_url(broker, socket_connect_timeout=3).ping()
    except redis.exceptions.ConnectionError as exc:
        _missing(
            pytestconfig,
            f"Redis at {broker} ({exc})",
            "apt-get install redis-server && service redis-server start",
        )

    env = {
        k: v
        for k, v in os.environ.items()  # STACK_PORT(_BASE): the caller's ports, else free ones
        if not k.startswith(("AIRFLOW", "RECOUVRA__", "STACK_")) or k in ("STACK_PORT", "STACK_PORT_BASE")
    }
    env.update(
        {
            "DEMO_MONTHS": MONTHS,
            "SCALE": "S",
            "SEED": "42",
            "E2E_BROKER_URL": broker,
            "E2E_PG_URL": pg_admin_url.replace("postgresql+psycopg://", "postgresql://"),
            "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT / "include"), env.get("PYTHONPATH")) if p),
        }
    )
    production = tmp_path / "production"
    seconds = _run("production-cycle.sh", production, env)

    reference = os.environ.get("RECOUVRA_E2E_REFERENCE")
    if reference:
        embedded = json.loads(Path(reference).read_text(encoding="utf-8"))
    else:
        _run("backfill.sh", tmp_path / "embedded", {**env, "DEMO_MONTHS": MONTHS})
        embedded = json.loads((tmp_path / "embedded" / "fingerprint.json").read_text(encoding="utf-8"))
    made = json.loads((production / "fingerprint.json").read_text(encoding="utf-8"))

    result = compare(embedded, made)
    assert result.differences == [], f"{result.summary()}\n" + "\n".join(result.differences[:80])
    # What the cycle must have made: every agency's packages, acknowledgements of its returns, the marts.
    agencies = {name.split("/")[0] for name in made["files"]}
    assert agencies == {"AG01", "AG02", "AG03", "AG04"}
    for agency in agencies:
        names = [n for n in made["files"] if n.startswith(f"{agency}/")]
        assert any("/CNSS_ASSIGN_" in n for n in names), agency
        assert any("/acks/" in n for n in names), f"{agency}: no acknowledgement of its returns"
    assert result.rows_compared > 0
    facts = json.loads((production / "facts.json").read_text(encoding="utf-8"))
    assert facts["return_files"] > 0 and facts["dossiers"] > 0
    print(f"production cycle, {MONTHS} months: {seconds:.0f} s; {result.summary()}")

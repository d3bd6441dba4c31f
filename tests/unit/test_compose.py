"""docker-compose.yaml, Dockerfile and .env.example agree, and Compose itself accepts the file.

``docker-compose config`` (Debian's ``docker-compose`` package: no Docker engine needed) validates the
file as a user runs it: ``cp .env.example .env``. The image must install requirements.txt so that its
pins cannot drift from the tested environment's.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from recouvra.operations import POOLS

ROOT = Path(__file__).resolve().parents[2]
AIRFLOW_SERVICES = ("airflow-apiserver", "airflow-scheduler", "airflow-dag-processor", "airflow-worker",
                    "airflow-triggerer")
LONG_RUNNING = (*AIRFLOW_SERVICES, "postgres", "warehouse-db", "redis", "sftp", "statsd-exporter")


def _missing(pytestconfig: pytest.Config, what: str, how: str) -> None:
    """tests/conftest.py's ``missing_component``: skip locally, fail under CI=true."""
    root_conftest = ROOT / "tests" / "conftest.py"
    for plugin in pytestconfig.pluginmanager.get_plugins():
        if getattr(plugin, "__file__", None) and Path(plugin.__file__).resolve() == root_conftest:
            plugin.missing_component(what, how)
            return
    raise RuntimeError(f"{root_conftest} is not loaded")


def _compose_config(pytestconfig: pytest.Config, folder: Path) -> subprocess.CompletedProcess[str]:
    exe = shutil.which("docker-compose")
    if exe is None:
        _missing(pytestconfig, "docker-compose (to validate docker-compose.yaml)",
                 "apt-get install docker-compose (Debian package; no Docker engine needed)")
    cmd = [str(exe), "--project-directory", str(folder), "-f", str(folder / "docker-compose.yaml"), "config"]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=60, check=False, cwd=folder)


@pytest.fixture()
def project_copy(tmp_path: Path) -> Path:
    """The compose file with .env made from .env.example, as the README tells a user to do."""
    shutil.copy(ROOT / "docker-compose.yaml", tmp_path / "docker-compose.yaml")
    shutil.copy(ROOT / ".env.example", tmp_path / ".env")
    for folder in ("dags", "plugins"):
        (tmp_path / folder).mkdir()
    return tmp_path


@pytest.fixture()
def rendered(project_copy: Path, pytestconfig: pytest.Config) -> dict[str, Any]:
    done = _compose_config(pytestconfig, project_copy)
    assert done.returncode == 0, done.stderr
    return yaml.safe_load(done.stdout)


def test_compose_accepts_the_file_and_every_service_is_there(rendered: dict[str, Any]) -> None:
    services = rendered["services"]
    assert set(LONG_RUNNING) | {"airflow-init"} <= set(services)
    for name in LONG_RUNNING:
        assert "healthcheck" in services[name], f"{name} has no health check"
    for name in (*AIRFLOW_SERVICES, "airflow-init"):
        env = services[name]["environment"]
        assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor", name
        assert env["AIRFLOW__CELERY__BROKER_URL"].startswith("redis://redis:6379/"), name
        assert env["AIRFLOW__CELERY__RESULT_BACKEND"].startswith("db+postgresql://"), name
        assert "@warehouse-db:5432/warehouse" in env["AIRFLOW_CONN_RECOUVRA_WAREHOUSE"], name
        assert env["RECOUVRA__STORAGE__LAKE_DIR"] == "/opt/airflow/data/lake", name
    for name in AIRFLOW_SERVICES:
        deps = services[name]["depends_on"]
        assert deps["airflow-init"]["condition"] == "service_completed_successfully", name
        assert deps["postgres"]["condition"] == "service_healthy", name
    assert services["sftp"]["depends_on"]["airflow-init"]["condition"] == "service_completed_successfully"


def test_every_airflow_component_sends_lineage_to_a_file_and_metrics_to_the_exporter(
    rendered: dict[str, Any],
) -> None:
    services = rendered["services"]
    for name in (*AIRFLOW_SERVICES, "airflow-init"):
        env = services[name]["environment"]
        assert (env["AIRFLOW__METRICS__STATSD_ON"], env["AIRFLOW__METRICS__STATSD_HOST"]) == (
            "true", "statsd-exporter"), name
        assert env["OPENLINEAGE__TRANSPORT__TYPE"] == "file", name
        assert env["OPENLINEAGE__TRANSPORT__LOG_FILE_PATH"].startswith("/opt/airflow/data/lineage/"), name
        assert env["AIRFLOW__OPENLINEAGE__CUSTOM_RUN_FACETS"].endswith("airflow_adapter.lineage.month_facet")
    exporter = services["statsd-exporter"]
    port = services["airflow-scheduler"]["environment"]["AIRFLOW__METRICS__STATSD_PORT"]
    assert f"--statsd.listen-udp=:{port}" in exporter["command"]
    assert [p.removesuffix("/tcp") for p in exporter["ports"]] == ["127.0.0.1:9102:9102"], "on loopback"
    assert "mkdir -p /opt/airflow/logs /opt/airflow/data /opt/airflow/data/lineage" in "\n".join(
        services["airflow-init"]["command"])


def test_init_migrates_airflow_and_the_warehouse_and_creates_pools_and_connections(
    rendered: dict[str, Any],
) -> None:
    script = "\n".join(rendered["services"]["airflow-init"]["command"])
    steps = ["airflow db migrate", "python -m recouvra.operations pools", "airflow pools import",
             "recouvra warehouse migrate", "recouvra seed", "airflow_connection_env", "chown -R"]
    positions = [script.find(s) for s in steps]
    assert -1 not in positions, dict(zip(steps, positions, strict=True))
    assert positions[:4] == sorted(positions[:4]), "migrate Airflow, then pools, then the warehouse"
    assert 'host="sftp"' in script and "port=22" in script
    assert POOLS["warehouse_writer"][0] == 1


def test_sftp_has_one_chroot_per_configured_agency_in_the_production_form(rendered: dict[str, Any]) -> None:
    from recouvra.config import load_settings

    service = rendered["services"]["sftp"]
    script = "\n".join(service["command"])
    codes = [a.code for a in load_settings().agencies]
    # The accounts follow config/recouvra.yaml: airflow-init lists its agencies in the keys volume, the
    # sftp service provisions what the list says; no agency code is written in the compose file.
    assert "done < /recouvra/keys/agencies" in script
    assert not any(code in script for code in codes), "agency codes hard-coded in the sftp service"
    init = "\n".join(rendered["services"]["airflow-init"]["command"])
    assert '(keys / "agencies").write_text("".join(f"{a.code}\\n" for a in settings.agencies)' in init
    assert "keys = keys_dir(sftp_root(settings))" in init
    # the agency's login and the fund's, provisioned and configured by the script the integration
    # test proves against Debian's sshd (tests/integration/test_sshd_chroot.py)
    assert any(v.endswith("/scripts/sftp-host.sh:/usr/local/sbin/recouvra-sftp-host:ro")
               for v in service["volumes"]), service["volumes"]
    assert "recouvra-sftp-host provision" in script and "recouvra-sftp-host sshd-config" in script
    assert "--fund-key /recouvra/keys/fund_ed25519.pub" in script
    assert "ssh_host_ed25519_key" in script, "the server's host key is the one the connections pin"


def _published(entry: str | dict[str, Any]) -> tuple[str, int, int]:
    """(host address, host port, container port) of a rendered port, short ("127.0.0.1:5433:5432/tcp",
    docker-compose 1) or long form (Compose 2)."""
    if isinstance(entry, dict):
        return str(entry.get("host_ip", "0.0.0.0")), int(entry["published"]), int(entry["target"])
    host, published, target = entry.split("/")[0].rsplit(":", 2)
    return host, int(published), int(target)


def test_the_warehouse_is_published_on_loopback_for_bi_users(
    rendered: dict[str, Any], project_copy: Path, pytestconfig: pytest.Config
) -> None:
    """README "BI access": postgresql://<bi-user>@localhost:5433/warehouse, host side configurable."""
    ports = rendered["services"]["warehouse-db"]["ports"]
    assert [_published(p) for p in ports] == [("127.0.0.1", 5433, 5432)]
    assert rendered["services"]["warehouse-db"]["environment"]["POSTGRES_DB"] == "warehouse"
    readme = (ROOT / "README.md").read_text()
    assert "postgresql://<bi-user>@localhost:5433/warehouse" in readme

    env = project_copy / ".env"
    env.write_text(env.read_text() + "WAREHOUSE_BIND_ADDRESS=10.0.0.5\nWAREHOUSE_PORT=15432\n")
    done = _compose_config(pytestconfig, project_copy)
    assert done.returncode == 0, done.stderr
    ports = yaml.safe_load(done.stdout)["services"]["warehouse-db"]["ports"]
    assert [_published(p) for p in ports] == [("10.0.0.5", 15432, 5432)]


def test_a_missing_secret_stops_compose_with_its_name(
    project_copy: Path, pytestconfig: pytest.Config
) -> None:
    env = project_copy / ".env"
    env.write_text(re.sub(r"(?m)^POSTGRES_PASSWORD=.*\n", "", env.read_text()))
    done = _compose_config(pytestconfig, project_copy)
    assert done.returncode != 0
    assert "POSTGRES_PASSWORD" in done.stderr


def test_every_variable_the_compose_file_needs_is_documented_in_env_example() -> None:
    compose = (ROOT / "docker-compose.yaml").read_text()
    example = (ROOT / ".env.example").read_text()
    documented = {m.group(1) for m in re.finditer(r"(?m)^#?\s*([A-Z_][A-Z0-9_]*)=", example)}
    # ${NAME} and ${NAME:?...} have no default: .env must set them; $${NAME} is the container's shell.
    required = {m.group(1) for m in re.finditer(r"(?<!\$)\$\{([A-Z_][A-Z0-9_]*)(?::\?[^}]*)?\}", compose)}
    with_default = {m.group(1) for m in re.finditer(r"(?<!\$)\$\{([A-Z_][A-Z0-9_]*):-", compose)}
    assert required, "no variable found: the pattern is wrong"
    assert required - documented == set()
    assert with_default - documented == set(), "optional settings are documented too"


def test_the_image_installs_the_pinned_requirements() -> None:
    docker = (ROOT / "Dockerfile").read_text()
    pins = dict(
        line.split("==", 1) for line in (ROOT / "requirements.txt").read_text().splitlines()
        if "==" in line and not line.startswith("#")
    )
    base = re.search(r"(?m)^FROM apache/airflow:(\S+)-python(\d+\.\d+)", docker)
    assert base, "the image must be built on the official apache/airflow image"
    assert base.group(1) == pins["apache-airflow"], "the base image's Airflow must be the pinned one"
    assert base.group(2) == "3.11"
    assert re.search(r"(?m)^COPY .*requirements\.txt", docker)
    install = re.search(r"(?m)^RUN pip install .*-r \S*requirements\.txt -c \S*constraints\.txt", docker)
    assert install, ("the image must pip install requirements.txt (the exact pins) constrained by "
                     "constraints.txt (the runtime's freeze), not its own list")
    def norm(name: str) -> str:
        return re.sub(r"[-_.]+", "-", name.split("[")[0]).lower()

    constraints = {
        norm(name): version for name, version in (
            line.split("==", 1) for line in (ROOT / "constraints.txt").read_text().splitlines()
            if "==" in line and not line.startswith("#"))
    }
    differ = {name: (version, constraints.get(norm(name))) for name, version in pins.items()
              if constraints.get(norm(name)) != version}
    assert not differ, f"constraints.txt must hold every pin of requirements.txt at its version: {differ}"
    assert not {"pytest", "ruff", "mypy", "import-linter"} & set(constraints), "runtime only: no dev tools"
    assert "--no-deps -e" in docker or "--no-deps ." in docker, "the package on top, without new deps"
    for pinned in ("celery", "apache-airflow-providers-celery", "apache-airflow-providers-smtp"):
        assert pinned in pins, pinned

"""Fixtures of the integration tests: real services on loopback (here: the embedded SFTP server)."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from recouvra.sftp.keys import write_known_hosts
from recouvra.standins.sftp_server import EmbeddedSftpServer

AGENCIES = ("AG01", "AG02")
ROOT_CONFTEST = Path(__file__).resolve().parents[1] / "conftest.py"


def missing_component(config: pytest.Config, what: str, how: str) -> None:
    """Call tests/conftest.py's ``missing_component`` (skip locally, fail under CI=true).

    The tests folder is not a package, so the root conftest cannot be imported by name: take the
    module pytest loaded.
    """
    for plugin in config.pluginmanager.get_plugins():
        if getattr(plugin, "__file__", None) and Path(plugin.__file__).resolve() == ROOT_CONFTEST:
            plugin.missing_component(what, how)
            return
    raise RuntimeError(f"{ROOT_CONFTEST} is not loaded")  # pragma: no cover


@pytest.fixture()
def sftp_server(tmp_path: Path) -> Iterator[EmbeddedSftpServer]:
    """The embedded SFTP server on 127.0.0.1 (free port), accounts AG01 and AG02, root under tmp_path."""
    with EmbeddedSftpServer(tmp_path / "sftp", AGENCIES) as server:
        yield server


AgencySftp = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture()
def agency_sftp(
    sftp_server: EmbeddedSftpServer, tmp_path: Path, pytestconfig: pytest.Config
) -> AgencySftp:
    """Run OpenSSH ``sftp`` in batch mode as an agency would: its key, the pinned host key, strict checking.

    ``agency_sftp("AG01", "get outbox/x.csv /tmp/x.csv", cwd=...)`` returns the completed process
    (batch mode stops at the first failing command and exits non-zero).
    """
    exe = shutil.which("sftp")
    if exe is None:
        missing_component(pytestconfig, "OpenSSH client", "apt-get install openssh-client")
    known_hosts = write_known_hosts(
        sftp_server.root, sftp_server.host, sftp_server.port, tmp_path / "agency" / "known_hosts"
    )

    def run(agency: str, batch: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
        account = sftp_server.account(agency)
        cmd = [
            str(exe), "-b", "-", "-i", str(account.key_file),
            "-o", f"UserKnownHostsFile={known_hosts}", "-o", "GlobalKnownHostsFile=/dev/null",
            "-o", "StrictHostKeyChecking=yes", "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes",
            "-o", "ConnectTimeout=10", "-P", str(sftp_server.port),
            f"{account.username}@{sftp_server.host}",
        ]
        return subprocess.run(
            cmd, input=batch, capture_output=True, text=True, timeout=60, cwd=cwd or tmp_path, check=False
        )

    return run

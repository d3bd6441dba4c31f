"""Airflow reaches the embedded SFTP server through the connections ``airflow_connection_env`` produces.

No manual step: the JSON ``AIRFLOW_CONN_*`` values carry host, port, login, key file and pinned host
key; the sftp provider's hook opens them, and the adapter refuses a connection that does not pin.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from recouvra.config import load_settings
from recouvra.sftp.errors import SftpHostKeyError
from recouvra.standins.sftp_server import EmbeddedSftpServer, airflow_connection_env, sftp_root

pytestmark = [pytest.mark.integration]
ROOT = Path(__file__).resolve().parents[2]


def test_airflow_connections_reach_every_agency_account(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = load_settings(
        ROOT / "config" / "recouvra.yaml", environ={"RECOUVRA__STORAGE__SFTP_ROOT": str(tmp_path / "sftp")}
    )
    with EmbeddedSftpServer(sftp_root(settings), [a.code for a in settings.agencies]) as server:
        env = airflow_connection_env(settings, port=server.port)
        assert set(env) == {f"AIRFLOW_CONN_{a.sftp_conn_id.upper()}" for a in settings.agencies}
        for name, value in env.items():
            monkeypatch.setenv(name, value)

        from recouvra.airflow_adapter.sftp import sftp_client

        local = tmp_path / "ack.json"
        local.write_text("{}", encoding="utf-8")
        for agency in settings.agencies:
            with sftp_client(agency.sftp_conn_id, agency.code) as fund:
                fund.upload_atomic(local, "outbox/acks/ack.json")
                assert [f.name for f in fund.list_ready("outbox/acks")] == ["ack.json"]
            assert (server.account(agency.code).home / "outbox" / "acks" / "ack.json").read_text() == "{}"

        unpinned = json.loads(env["AIRFLOW_CONN_SFTP_AG01"])
        unpinned["extra"] = {"key_file": unpinned["extra"]["key_file"], "no_host_key_check": True}
        monkeypatch.setenv("AIRFLOW_CONN_SFTP_AG01", json.dumps(unpinned))
        with pytest.raises(SftpHostKeyError, match="must pin"), sftp_client("sftp_ag01", "AG01"):
            pass

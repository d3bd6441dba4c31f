"""The SFTP client from an agency's Airflow connection (recouvra.airflow_adapter.sftp): a connection must
pin the server's host key, and a missing connection is a publication error naming the agency."""

from __future__ import annotations

import json

import pytest

from recouvra.airflow_adapter.sftp import publish_with_connection, sftp_client
from recouvra.publication import Package, PublicationError
from recouvra.sftp.errors import SftpHostKeyError


def _conn(monkeypatch: pytest.MonkeyPatch, conn_id: str, extra: dict[str, object]) -> None:
    monkeypatch.setenv(f"AIRFLOW_CONN_{conn_id.upper()}", json.dumps(
        {"conn_type": "sftp", "host": "127.0.0.1", "port": 1, "login": "ag01", "extra": extra}))


@pytest.mark.parametrize(
    "extra",
    [{}, {"no_host_key_check": True}],
    ids=["no host key", "host key check disabled"],
)
def test_a_connection_that_does_not_pin_the_host_key_is_refused_before_connecting(
    extra: dict[str, object], monkeypatch: pytest.MonkeyPatch
) -> None:
    _conn(monkeypatch, "sftp_test_ag01", extra)
    with pytest.raises(SftpHostKeyError, match="connection sftp_test_ag01 must pin the server's host key"):
        with sftp_client("sftp_test_ag01", agency="AG01"):
            pass


def test_publishing_through_a_connection_that_does_not_exist_names_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("AIRFLOW_CONN_SFTP_NOWHERE", raising=False)
    package = Package("ASSIGNMENT", "AG07", "202611", 1, "2026-11-01T06:00:00", ())
    with pytest.raises(PublicationError, match="cannot use SFTP connection 'sftp_nowhere'") as err:
        publish_with_connection("sftp_nowhere", package)
    assert err.value.agency == "AG07"

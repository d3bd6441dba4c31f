"""The connections a deployment needs, checked the way the stack does at start, and AIRFLOW_CONN_*
values read without Airflow (URI and JSON forms) for the tools that run outside it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from recouvra import connections
from recouvra.config import load_settings
from recouvra.errors import ConfigError

pytestmark = [pytest.mark.unit]


@pytest.fixture()
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("RECOUVRA_DATA_DIR", str(tmp_path / "data"))
    return load_settings()


def test_every_configured_connection_is_needed(settings) -> None:  # type: ignore[no-untyped-def]
    needs = connections.needed(settings)
    assert [n.conn_id for n in needs] == [
        "recouvra_source",
        "recouvra_warehouse",
        *(a.sftp_conn_id for a in settings.agencies),
    ]
    assert needs[0].env_var == "AIRFLOW_CONN_RECOUVRA_SOURCE"
    assert [n.database for n in needs[:3]] == [True, True, False]


def test_a_missing_connection_names_the_variable_to_set(settings) -> None:  # type: ignore[no-untyped-def]
    found = {
        "recouvra_source": "postgres://reader@db:5432/cnss (from AIRFLOW_CONN_RECOUVRA_SOURCE)",
        "sftp_ag01": "sftp://fund-ag01@127.0.0.1:2222 (from AIRFLOW_CONN_SFTP_AG01)",
    }
    result = connections.check(settings, found.get, embedded_databases=False)
    assert not result.ok
    assert result.lines == [
        "source (the fund's database): recouvra_source = postgres://reader@db:5432/cnss "
        "(from AIRFLOW_CONN_RECOUVRA_SOURCE)",
        "SFTP of agency AG01: sftp_ag01 = sftp://fund-ag01@127.0.0.1:2222 (from AIRFLOW_CONN_SFTP_AG01)",
    ]
    assert result.errors[0].startswith(
        "warehouse: connection recouvra_warehouse is not defined: set "
        "AIRFLOW_CONN_RECOUVRA_WAREHOUSE (e.g. postgresql://"
    )
    assert [e.split(":")[0] for e in result.errors[1:]] == [
        f"SFTP of agency {a.code}" for a in settings.agencies[1:]
    ]
    assert "`airflow connections add sftp_ag02`" in result.errors[1]


def test_embedded_databases_stand_in_for_the_source_and_warehouse_not_for_sftp(settings) -> None:  # type: ignore[no-untyped-def]
    result = connections.check(settings, lambda _: None, embedded_databases=True)
    default = settings.warehouse_url
    assert result.lines[1] == f"warehouse: recouvra_warehouse not defined, the embedded default {default}"
    assert len(result.errors) == len(settings.agencies)  # SFTP has no embedded default in a stack


def test_database_url_from_a_uri_or_json_value_else_the_default() -> None:
    uri = {"AIRFLOW_CONN_RECOUVRA_SOURCE": "postgresql://reader:p%40ss@db.cnss.ma:5433/cnss"}
    assert (
        connections.database_url("recouvra_source", "sqlite:///x", uri)
        == "postgresql+psycopg://reader:p%40ss@db.cnss.ma:5433/cnss"
    )
    as_json = {
        "AIRFLOW_CONN_RECOUVRA_SOURCE": json.dumps(
            {"conn_type": "postgres", "host": "127.0.0.1", "login": "postgres", "schema": "h_e_source"}
        )
    }
    assert (
        connections.database_url("recouvra_source", "", as_json)
        == "postgresql+psycopg://postgres@127.0.0.1:5432/h_e_source"
    )
    assert connections.database_url("recouvra_source", "sqlite:///x", {}) == "sqlite:///x"
    with pytest.raises(ConfigError, match="RECOUVRA_SOURCE: a PostgreSQL connection is expected"):
        connections.database_url("recouvra_source", "", {"AIRFLOW_CONN_RECOUVRA_SOURCE": "mysql://h/db"})


def test_sftp_endpoint_needs_a_pinned_host_key() -> None:
    value = {
        "conn_type": "sftp",
        "host": "127.0.0.1",
        "port": 2222,
        "login": "fund-ag01",
        "extra": {"key_file": "/k/fund_ed25519", "host_key": "ssh-ed25519 AAAAC3"},
    }
    env = {"AIRFLOW_CONN_SFTP_AG01": json.dumps(value)}
    assert connections.sftp_endpoint("sftp_ag01", env) == connections.SftpEndpoint(
        "127.0.0.1", 2222, "fund-ag01", "ssh-ed25519 AAAAC3"
    )
    assert connections.sftp_endpoint("sftp_ag02", env) is None
    env = {"AIRFLOW_CONN_SFTP_AG01": "sftp://fund-ag01@10.0.0.5"}  # no host key: refused
    with pytest.raises(ConfigError, match="host_key \\(pinned\\) are required"):
        connections.sftp_endpoint("sftp_ag01", env)


def test_a_connection_is_shown_without_its_password() -> None:
    value = connections.parse_value("X", "postgresql://u:secret@h:5432/db?sslmode=require")
    assert value.password == "secret" and value.extra == {"sslmode": "require"}
    assert connections.safe_uri(value) == "postgresql://u@h:5432/db"
    with pytest.raises(ConfigError, match="X: neither a URI"):
        connections.parse_value("X", "just-text")

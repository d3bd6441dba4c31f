"""The connections a deployment needs, read the way Airflow reads them, without Airflow.

Recouvra reaches the outside through Airflow connections only (their ids are in the configuration):
``storage.source_conn_id`` (the fund's database), ``storage.warehouse_conn_id`` (the warehouse) and one
``sftp_conn_id`` per agency (the fund's login to the agency's home). Airflow finds a connection in
the environment as ``AIRFLOW_CONN_<ID>`` (a URI, or a JSON object) before its secrets backends and its
metadata database. This module says which are needed (:func:`needed`), checks them against a lookup
(:func:`check`: the native stack calls it at start, through
:mod:`recouvra.airflow_adapter.connections`), and turns the environment's values into what tools
without Airflow need (:func:`database_url`, :func:`sftp_endpoint`): ``recouvra simulate-agencies``
reaches the production form through the very connections the stack's workers use.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, unquote, urlsplit

from recouvra.errors import ConfigError

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from recouvra.config import Settings


def env_var(conn_id: str) -> str:
    """The environment variable Airflow reads a connection from."""
    return f"AIRFLOW_CONN_{conn_id.upper()}"


@dataclass(frozen=True)
class Needed:
    """One connection the pipeline uses: what for, its id."""

    role: str
    conn_id: str
    database: bool = False  # the source or the warehouse: an embedded default exists

    @property
    def env_var(self) -> str:
        return env_var(self.conn_id)


def needed(settings: Settings) -> list[Needed]:
    """Every connection of the configuration: the source, the warehouse, each agency's SFTP."""
    return [
        Needed("source (the fund's database)", settings.storage.source_conn_id, database=True),
        Needed("warehouse", settings.storage.warehouse_conn_id, database=True),
        *(Needed(f"SFTP of agency {a.code}", a.sftp_conn_id) for a in settings.agencies),
    ]


@dataclass
class ConnectionCheck:
    """What :func:`check` found: one line per connection, and the errors (empty: all there)."""

    lines: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def check(
    settings: Settings, lookup: Callable[[str], str | None], *, embedded_databases: bool
) -> ConnectionCheck:
    """Check every needed connection with ``lookup`` (conn id -> where it is defined and its URI without
    password, or None). ``embedded_databases``: a source or warehouse connection may be absent, the
    configuration's embedded SQLite/DuckDB files standing in (the demo's replay); otherwise absent
    connections are errors naming the variable to set."""
    result = ConnectionCheck()
    for need in needed(settings):
        found = lookup(need.conn_id)
        if found is not None:
            result.lines.append(f"{need.role}: {need.conn_id} = {found}")
        elif need.database and embedded_databases:
            default = settings.source_url if "source" in need.role else settings.warehouse_url
            result.lines.append(f"{need.role}: {need.conn_id} not defined, the embedded default {default}")
        else:
            example = (
                "postgresql://USER:PASSWORD@HOST:5432/DATABASE"
                if need.database
                else '{"conn_type": "sftp", "host": ..., "port": 22, "login": "fund-'
                + need.conn_id.removeprefix("sftp_")
                + '", "extra": {"key_file": ..., "host_key": ...}}'
            )
            result.errors.append(
                f"{need.role}: connection {need.conn_id} is not defined: set "
                f"{need.env_var} (e.g. {example}) or add it with "
                f"`airflow connections add {need.conn_id}`"
            )
    return result


# ------------------------------------------------------------------ values of AIRFLOW_CONN_* variables
@dataclass(frozen=True)
class ConnectionValue:
    """The fields of an ``AIRFLOW_CONN_*`` value (URI or JSON), as Airflow reads them."""

    conn_type: str
    host: str = ""
    port: int | None = None
    login: str = ""
    password: str = ""
    schema: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict)


def parse_value(name: str, value: str) -> ConnectionValue:
    """An ``AIRFLOW_CONN_*`` value: a JSON object (``conn_type``, ``host``, ``extra``...) or a URI
    (``postgresql://user:password@host:5432/db``, ``sftp://login@host:22?host_key=...``)."""
    text = value.strip()
    if text.startswith("{"):
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ConfigError(f"{name}: not valid JSON: {exc}") from None
        extra = doc.get("extra") or {}
        if isinstance(extra, str):
            extra = json.loads(extra)
        return ConnectionValue(
            str(doc.get("conn_type", "")),
            str(doc.get("host") or ""),
            int(doc["port"]) if doc.get("port") else None,
            str(doc.get("login") or ""),
            str(doc.get("password") or ""),
            str(doc.get("schema") or ""),
            extra,
        )
    parts = urlsplit(text)
    if not parts.scheme:
        raise ConfigError(f"{name}: neither a URI (scheme://...) nor a JSON object")
    return ConnectionValue(
        parts.scheme.replace("-", "_"),
        unquote(parts.hostname or ""),
        parts.port,
        unquote(parts.username or ""),
        unquote(parts.password or ""),
        unquote(parts.path.lstrip("/")),
        dict(parse_qsl(parts.query)),
    )


def database_url(conn_id: str, default: str, environ: Mapping[str, str] | None = None) -> str:
    """The SQLAlchemy URL of a database connection from the environment (``AIRFLOW_CONN_<ID>``, the
    psycopg 3 driver for PostgreSQL), else ``default``: what a task's ``connection_url`` gives, for
    tools that run without Airflow."""
    env = os.environ if environ is None else environ
    name = env_var(conn_id)
    if not env.get(name):
        return default
    c = parse_value(name, env[name])
    if c.conn_type not in ("postgres", "postgresql"):
        raise ConfigError(f"{name}: a PostgreSQL connection is expected, not conn_type {c.conn_type!r}")
    from urllib.parse import quote

    auth = quote(c.login, safe="") + (f":{quote(c.password, safe='')}" if c.password else "")
    return f"postgresql+psycopg://{auth}{'@' if auth else ''}{c.host}:{c.port or 5432}/{c.schema}"


@dataclass(frozen=True)
class SftpEndpoint:
    """Where an agency's SFTP home is, from the fund's connection to it: host, port, the fund's login
    and the pinned host key."""

    host: str
    port: int
    login: str
    host_key: str


def sftp_endpoint(conn_id: str, environ: Mapping[str, str] | None = None) -> SftpEndpoint | None:
    """The agency's SFTP endpoint from ``AIRFLOW_CONN_<ID>`` (None when the variable is not set)."""
    env = os.environ if environ is None else environ
    name = env_var(conn_id)
    if not env.get(name):
        return None
    c = parse_value(name, env[name])
    if c.conn_type not in ("sftp", "ssh"):
        raise ConfigError(f"{name}: an sftp connection is expected, not conn_type {c.conn_type!r}")
    host_key = str(c.extra.get("host_key") or "")
    if not (c.host and c.login and host_key):
        raise ConfigError(f"{name}: host, login and the extra host_key (pinned) are required")
    return SftpEndpoint(c.host, c.port or 22, c.login, host_key)


def safe_uri(c: ConnectionValue) -> str:
    """A connection's address for a log line: never its password nor its extras' secrets."""
    user = f"{c.login}@" if c.login else ""
    port = f":{c.port}" if c.port else ""
    schema = f"/{c.schema}" if c.schema else ""
    return f"{c.conn_type}://{user}{c.host}{port}{schema}"

"""Key pairs of the embedded SFTP exchange and the pinned host key.

Layout under ``<sftp_root>/keys/`` (directory 0700, private keys 0600, OpenSSH format so that
paramiko, asyncssh and the OpenSSH client all read them):

* ``ssh_host_ed25519_key`` / ``.pub`` — the server's host key, generated once and kept: clients pin it.
* ``<AGENCY>_ed25519`` / ``.pub`` — one key pair per agency: the agency's own login (what its
  client, or the agency simulator, logs in with).
* ``fund_ed25519`` / ``.pub`` — the fund's key pair: its login to every agency's home (publication,
  ingestion, acknowledgements; what the Airflow connections name).

Keys are generated on first use and never overwritten here (rotation is a deliberate act, see
``docs/sftp.md``). Private key material is never logged or returned, only paths.
"""

from __future__ import annotations

import logging
import os
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pathlib import Path

log = logging.getLogger(__name__)

HOST_KEY_NAME = "ssh_host_ed25519_key"
FUND_KEY_NAME = "fund_ed25519"
KEY_TYPE = "ssh-ed25519"


def keys_dir(root: Path) -> Path:
    return root / "keys"


def host_key_path(root: Path) -> Path:
    """Private host key of the embedded server."""
    return keys_dir(root) / HOST_KEY_NAME


def agency_key_path(root: Path, agency: str) -> Path:
    """Private key an agency logs in with (its own login: it writes only its ``inbox/``)."""
    return keys_dir(root) / f"{agency}_ed25519"


def fund_key_path(root: Path) -> Path:
    """Private key the fund logs in with, to every agency's home (the fund's identity)."""
    return keys_dir(root) / FUND_KEY_NAME


def _write_private(path: Path, data: bytes) -> None:
    """Write a private key readable by its owner only, created 0600 (never world-readable, even briefly)."""
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


def ensure_key_pair(path: Path, comment: str) -> Path:
    """Create an ed25519 key pair at ``path`` (+ ``.pub``) unless it exists; return the private key path.

    An existing private key is kept (its permissions tightened to 0600); a missing ``.pub`` is
    re-derived from it.
    """
    import asyncssh

    path.parent.mkdir(parents=True, exist_ok=True)
    os.chmod(path.parent, 0o700)
    pub = path.with_name(path.name + ".pub")
    if path.exists():
        os.chmod(path, 0o600)
        if not pub.exists():
            key = asyncssh.read_private_key(str(path))
            pub.write_bytes(key.export_public_key("openssh"))
        return path
    key = asyncssh.generate_private_key(KEY_TYPE, comment=comment)
    _write_private(path, key.export_private_key("openssh"))
    pub.write_bytes(key.export_public_key("openssh"))
    log.info("generated %s key pair %s (public part %s)", KEY_TYPE, path.name, pub)
    return path


def ensure_host_key(root: Path) -> Path:
    return ensure_key_pair(host_key_path(root), comment="recouvra-embedded-sftp-host")


def ensure_agency_key(root: Path, agency: str) -> Path:
    return ensure_key_pair(agency_key_path(root, agency), comment=f"recouvra-{agency.lower()}")


def ensure_fund_key(root: Path) -> Path:
    return ensure_key_pair(fund_key_path(root), comment="recouvra-fund")


def public_key_line(private_key: Path) -> str:
    """``"ssh-ed25519 AAAA..."`` (type and base64, no comment) of a key pair, read from its ``.pub``."""
    pub = private_key.with_name(private_key.name + ".pub").read_text(encoding="ascii").split()
    if len(pub) < 2:
        raise ValueError(f"{private_key}.pub is not an OpenSSH public key")
    return f"{pub[0]} {pub[1]}"


def host_key_line(root: Path) -> str:
    """The pinned host key as Airflow's ssh/sftp providers expect it in the ``host_key`` extra."""
    return public_key_line(ensure_host_key(root))


def known_hosts_line(root: Path, host: str, port: int) -> str:
    """The ``known_hosts`` line an OpenSSH client needs (``[host]:port`` form unless port 22)."""
    name = host if port == 22 else f"[{host}]:{port}"
    return f"{name} {host_key_line(root)}"


def write_known_hosts(root: Path, host: str, port: int, path: Path) -> Path:
    """Write a one-line ``known_hosts`` file pinning the embedded server; return its path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(known_hosts_line(root, host, port) + "\n", encoding="ascii")
    return path


def connection_extras(root: Path) -> dict[str, Any]:
    """Extras of the fund's Airflow sftp connection to an agency: the fund's key file (the same for
    every agency: the login names the agency's home) and the pinned host key.

    ``look_for_keys: false`` keeps paramiko from offering the worker's own ``~/.ssh`` keys first.
    """
    return {
        "key_file": str(ensure_fund_key(root)),
        "host_key": host_key_line(root),
        "look_for_keys": False,
        "conn_timeout": 10,
    }

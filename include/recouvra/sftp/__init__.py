"""File transfer with the agencies over SFTP: the fund's client and an embedded server.

* :mod:`recouvra.sftp.client` — atomic, verified uploads and the listing/download/move primitives the
  exchange stages use (paramiko, host key pinned, one SSH connection per group of operations).
* :mod:`recouvra.standins.sftp_server` — an asyncssh SFTP server on loopback with one chrooted account per
  agency: the embedded default of ``make demo`` and the peer of the integration tests.
* :mod:`recouvra.sftp.keys` — the key pairs and the pinned host key both sides share.
* a client from an Airflow connection is the adapter's: :mod:`recouvra.airflow_adapter.sftp`.

Importing this package is cheap: nothing heavy is imported until a submodule is used.
"""

from __future__ import annotations

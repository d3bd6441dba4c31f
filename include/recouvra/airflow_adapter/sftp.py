"""The SFTP client from an agency's Airflow connection, and publication through it.

``with sftp_client("sftp_ag01", agency="AG01") as c: c.publish_package(...)`` opens one managed
paramiko connection through the sftp provider's ``SFTPHook`` (so production keeps its credentials in
the connection) and wraps it in :class:`~recouvra.sftp.client.ParamikoSftpClient`. The connection
must pin the server's host key (``host_key`` extra); ``no_host_key_check`` is refused.
"""

from __future__ import annotations

from contextlib import ExitStack, contextmanager
from typing import TYPE_CHECKING

from recouvra.publication import REMOTE_DIR, Package, Publication, PublicationError, publish_package
from recouvra.sftp.client import ParamikoSftpClient, classify_connect_error
from recouvra.sftp.errors import Endpoint, SftpError, SftpHostKeyError

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

    import paramiko


@contextmanager
def sftp_client(conn_id: str, agency: str | None = None) -> Iterator[ParamikoSftpClient]:
    """One SSH connection of the Airflow connection ``conn_id``, for a group of operations."""
    from airflow.providers.sftp.hooks.sftp import SFTPHook

    hook = SFTPHook(ssh_conn_id=conn_id)
    endpoint = Endpoint(agency or conn_id, hook.remote_host, int(hook.port or 22), str(hook.username))
    if hook.no_host_key_check or hook.host_key is None:
        raise SftpHostKeyError(
            f"connection {conn_id} must pin the server's host key (extra host_key) and must not set "
            "no_host_key_check", endpoint,
        )

    @contextmanager
    def reconnect() -> Iterator[paramiko.SFTPClient]:
        with SFTPHook(ssh_conn_id=conn_id, conn_retry_attempts=1).get_managed_conn() as fresh:
            yield fresh

    with ExitStack() as stack:
        try:
            sftp = stack.enter_context(hook.get_managed_conn())
        except Exception as exc:  # paramiko/socket errors, after the hook's own retries
            raise classify_connect_error(exc, endpoint) from exc
        yield ParamikoSftpClient(sftp, endpoint, reconnect=reconnect)


def publish_with_connection(conn_id: str, package: Package, remote_dir: str = REMOTE_DIR) -> Publication:
    """Publish through the Airflow connection ``conn_id`` (inside a task; imports Airflow lazily).

    A connection that does not exist raises :class:`PublicationError` naming the agency and conn id.
    """
    (publication,) = publish_all_with_connection(conn_id, [package], remote_dir)
    return publication


def publish_all_with_connection(
    conn_id: str, packages: Sequence[Package], remote_dir: str = REMOTE_DIR,
) -> list[Publication]:
    """Publish one agency's packages in order through one session of the Airflow connection ``conn_id``.

    Each package is published by :func:`~recouvra.publication.publish_package` (verified, manifest last); a
    failure stops at that package, and a retry re-sends the ones before it with the same bytes (an
    idempotent re-run: :func:`~recouvra.publication.publish_package` accepts identical files).
    """
    agencies = {p.agency for p in packages}
    if len(agencies) > 1:
        raise PublicationError(f"one session is for one agency, not {sorted(agencies)}")
    if not packages:
        return []
    agency = packages[0].agency
    with ExitStack() as stack:
        try:
            client = stack.enter_context(sftp_client(conn_id, agency=agency))
        except SftpError:
            raise
        except Exception as exc:  # e.g. AirflowNotFoundException: the connection is not defined
            raise PublicationError(
                f"cannot use SFTP connection {conn_id!r}: {type(exc).__name__}: {exc}", agency=agency
            ) from exc
        return [publish_package(client, p, remote_dir) for p in packages]


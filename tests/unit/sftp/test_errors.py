"""Typed SFTP errors: every message names the agency, account, host and path an operator looks at."""

from __future__ import annotations

import pytest

from recouvra.errors import RecouvraError
from recouvra.sftp.errors import (
    Endpoint,
    SftpAuthError,
    SftpConnectionError,
    SftpError,
    SftpHostKeyError,
    SftpPackageError,
    SftpServerError,
    SftpTransferError,
    SftpUploadError,
    SftpVerificationError,
)

ENDPOINT = Endpoint("AG01", "sftp.example.ma", 22, "ag01")


def test_endpoint_reads_as_agency_account_host_and_port() -> None:
    assert str(ENDPOINT) == "agency AG01 (ag01@sftp.example.ma:22)"


@pytest.mark.parametrize(
    ("endpoint", "path", "message"),
    [
        (None, None, "refused"),
        (ENDPOINT, None, "refused [agency AG01 (ag01@sftp.example.ma:22)]"),
        (None, "inbox/a.csv", "refused [path inbox/a.csv]"),
        (ENDPOINT, "inbox/a.csv", "refused [agency AG01 (ag01@sftp.example.ma:22), path inbox/a.csv]"),
    ],
)
def test_message_says_where(endpoint: Endpoint | None, path: str | None, message: str) -> None:
    error = SftpError("refused", endpoint, path)
    assert str(error) == message
    assert (error.endpoint, error.path) == (endpoint, path)


def test_the_hierarchy_lets_callers_catch_what_they_handle() -> None:
    assert issubclass(SftpVerificationError, SftpUploadError)
    assert issubclass(SftpUploadError, SftpTransferError)
    for cls in (SftpHostKeyError, SftpAuthError, SftpConnectionError, SftpTransferError, SftpPackageError):
        assert issubclass(cls, SftpError)
    assert not issubclass(SftpConnectionError, SftpTransferError)
    assert issubclass(SftpError, RecouvraError)
    # The embedded server's own trouble is not an exchange failure with an agency.
    assert issubclass(SftpServerError, RecouvraError) and not issubclass(SftpServerError, SftpError)
    assert str(SftpVerificationError("sha256 mismatch", ENDPOINT, "outbox/x.csv")) == (
        "sha256 mismatch [agency AG01 (ag01@sftp.example.ma:22), path outbox/x.csv]")

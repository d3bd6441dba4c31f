"""The Airflow adapter's package: default arguments shared by every DAG and the pool names."""

from __future__ import annotations

import datetime as dt

from recouvra.operations import SFTP_POOL


def test_default_args_alert_retry_with_backoff_and_time_out() -> None:
    from recouvra.airflow_adapter import DEFAULT_ARGS
    from recouvra.airflow_adapter import SFTP_POOL as ADAPTER_SFTP_POOL
    from recouvra.airflow_adapter.callbacks import notify_failure, notify_retry

    assert DEFAULT_ARGS["on_failure_callback"] is notify_failure
    assert DEFAULT_ARGS["on_retry_callback"] is notify_retry
    assert DEFAULT_ARGS["retries"] >= 2 and DEFAULT_ARGS["retry_exponential_backoff"]
    assert DEFAULT_ARGS["max_retry_delay"] > DEFAULT_ARGS["retry_delay"]
    assert dt.timedelta(0) < DEFAULT_ARGS["execution_timeout"] <= dt.timedelta(hours=2)
    assert ADAPTER_SFTP_POOL == SFTP_POOL == "sftp_agencies"

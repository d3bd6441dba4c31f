"""Alerts, channels and run summaries of recouvra.operations, without Airflow."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from recouvra.operations import (
    POOLS,
    SFTP_POOL,
    WAREHOUSE_WRITER_POOL,
    Alert,
    Channel,
    Metric,
    RunFacts,
    StatsdListener,
    TaskOutcome,
    chat_text,
    deliver,
    log_location,
    main,
    pools_json,
    render_run_summary,
    safe_name,
    write_run_summary,
)

UTC = dt.UTC
DEFAULT_TEMPLATE = ("dag_id={{ ti.dag_id }}/run_id={{ ti.run_id }}/task_id={{ ti.task_id }}/"
                    "{% if ti.map_index >= 0 %}map_index={{ ti.map_index }}/{% endif %}"
                    "attempt={{ try_number|default(ti.try_number) }}.log")


def _alert(**kw: Any) -> Alert:
    base: dict[str, Any] = dict(
        kind="FAILED", dag_id="assignment_monthly", task_id="publish_agency", run_id="scheduled__2026-11-01",
        month="2026-11", try_number=3, max_tries=3, log_url="http://airflow:8080/dags/x",
        log_path="/opt/airflow/logs/x/attempt=3.log", error="SftpAuthError: ag02@sftp:22 refused the key",
        map_index=1, at=dt.datetime(2026, 11, 3, 2, 5, tzinfo=UTC),
    )
    base.update(kw)
    return Alert(**base)


def test_alert_line_names_dag_task_month_try_and_log() -> None:
    line = _alert(error="line one\n  line two").line()
    assert line.startswith("2026-11-03T02:05:00Z FAILED dag=assignment_monthly task=publish_agency[1] ")
    for part in ("month=2026-11", "try=3/3", "log=/opt/airflow/logs/x/attempt=3.log",
                 "url=http://airflow:8080/dags/x", "error=line one line two"):
        assert part in line
    assert "\n" not in line


def test_alert_body_tells_what_to_do() -> None:
    assert "clear the task" in _alert().body()
    assert "nothing to do" in _alert(kind="RETRY", try_number=1).body()
    assert _alert(kind="RETRY").subject.endswith("will retry (month 2026-11, try 3)")


def test_without_a_channel_the_alert_goes_to_the_log(tmp_path: Path) -> None:
    log = tmp_path / "data" / "alerts.log"
    assert deliver(_alert(), None, log) == "alerts log"
    deliver(_alert(task_id="load"), None, log)
    lines = log.read_text().splitlines()
    assert len(lines) == 2 and "task=load[1]" in lines[1]


def test_a_channel_sends_the_alert_after_logging_it(tmp_path: Path) -> None:
    sent: list[tuple[str, Alert]] = []
    log = tmp_path / "alerts.log"

    def send(channel: Channel, alert: Alert) -> None:
        assert log.read_text().count(" FAILED ") == 1, "logged before it is sent"
        sent.append((channel.kind, alert))

    done = deliver(_alert(), Channel("slackwebhook"), log, send)
    assert done == "alerts log and slack_webhook"
    assert [(kind, a.task_label) for kind, a in sent] == [("slack_webhook", "publish_agency[1]")]


@pytest.mark.parametrize(
    ("conn_type", "kind"),
    [("slackwebhook", "slack_webhook"), ("slack_webhook", "slack_webhook"), ("slack", "slack"),
     ("smtp", "smtp"), ("email", "smtp"), ("http", "unknown"), ("postgres", "unknown")],
)
def test_the_connection_type_chooses_the_notifier(conn_type: str, kind: str) -> None:
    assert Channel(conn_type).kind == kind


def test_channel_extras_address_the_message() -> None:
    smtp = Channel("smtp", extra={"to": "a@cnss.ma, b@cnss.ma"})
    assert smtp.recipients() == ["a@cnss.ma", "b@cnss.ma"]
    assert Channel("smtp", extra={"to": ["c@cnss.ma"]}).recipients() == ["c@cnss.ma"]
    assert Channel("slack").slack_channel() == "#recouvra-alerts"
    assert Channel("slack", extra={"channel": "#ops"}).slack_channel() == "#ops"
    assert not Channel("slack").pages_retries
    assert Channel("slack", extra={"notify_retries": "true"}).pages_retries


def test_the_chat_text_carries_dag_task_run_and_log_url() -> None:
    text = chat_text(_alert())
    assert text.startswith("*[recouvra] assignment_monthly.publish_agency[1] failed")
    for part in ("DAG:      assignment_monthly", "task:     publish_agency[1]",
                 "run:      scheduled__2026-11-01", "log URL:  http://airflow:8080/dags/x"):
        assert part in text, text


def _refused(channel: Channel, alert: Alert) -> None:
    raise ConnectionError("webhook answered HTTP 500")


@pytest.mark.parametrize(
    ("channel", "send", "reason"),
    [
        (Channel("smtp"), _refused, "no recipients"),
        (Channel("postgres"), _refused, "not an alert channel"),
        (Channel("slackwebhook"), None, "no sender"),
        (Channel("slackwebhook"), _refused, "HTTP 500"),
    ],
)
def test_a_failing_channel_is_recorded_and_never_raises(
    channel: Channel, send: Any, reason: str, tmp_path: Path
) -> None:
    log = tmp_path / "alerts.log"
    done = deliver(_alert(), channel, log, send)
    assert "failed" in done
    lines = log.read_text().splitlines()
    assert " FAILED " in lines[0], "the alert itself is written first"
    assert "CHANNEL_ERROR" in lines[1] and reason in lines[1]


@pytest.mark.parametrize(
    ("map_index", "expected"),
    [
        (-1, "/logs/dag_id=d/run_id=r1/task_id=t/attempt=2.log"),
        (3, "/logs/dag_id=d/run_id=r1/task_id=t/map_index=3/attempt=2.log"),
    ],
)
def test_log_location_follows_the_default_template(map_index: int, expected: str) -> None:
    assert log_location("/logs", DEFAULT_TEMPLATE, "d", "r1", "t", map_index, 2) == expected


def test_log_location_with_a_custom_template_is_the_base_folder() -> None:
    assert log_location("/logs", "{{ ti.dag_id }}.log", "d", "r", "t", -1, 1) == "/logs"


def _t(minute: int) -> dt.datetime:
    return dt.datetime(2026, 11, 1, 2, minute, tzinfo=UTC)


PORTFOLIO_RUN = RunFacts(
    dag_id="portfolio_extract", run_id="manual__2026-11-01T00:00:00+00:00", state="success", month="2026-11",
    start=_t(0), end=_t(3),
    tasks=[
        TaskOutcome("extract", "success", 1, 0, 2.0, "http://a/e0", end=_t(1),
                    value={"path": "/lake/_incoming/r/employers", "rows": 300,
                           "files": ["part-00000.parquet"]}),
        TaskOutcome("extract", "success", 1, 1, 2.0, "http://a/e1", end=_t(1),
                    value={"path": "/lake/_incoming/r/titles", "rows": 111, "files": ["part-00000.parquet"]}),
        TaskOutcome("quality_gate_and_publish", "success", 1, -1, 11.0, "http://a/q", end=_t(2), value={
            "run_id": "r", "data_docs": "/data/gx/r/index.html",
            "tables": {"employers": {"rows": 300, "path": "/lake/employers/snapshot_date=2026-11-01"},
                       "titles": {"rows": 110, "path": "/lake/titles/snapshot_date=2026-11-01"}}}),
        TaskOutcome("report", "success", 1, -1, 0.2, "http://a/r", end=_t(3),
                    value={"employers": 300, "titles": 110}),
    ],
)


def test_summary_reports_what_was_finally_published_with_the_data_docs() -> None:
    md = render_run_summary(PORTFOLIO_RUN)
    assert md.startswith("# portfolio_extract — SUCCESS\n")
    assert "- month: 2026-11" in md and "(3.0 min)" in md
    # The publish task ended after the extracts: its figures win (titles 110, not 111), no double count.
    assert "| employers | 300 | quality_gate_and_publish |" in md
    assert "| titles | 110 | quality_gate_and_publish |" in md
    assert "| **total** | **410** | |" in md
    assert "`/lake/titles/snapshot_date=2026-11-01`" in md and "_incoming" not in md.split("## Tasks")[0]
    assert "Data Docs [/data/gx/r/index.html](file:///data/gx/r/index.html)" in md
    assert "| [extract[1]](http://a/e1) | success | 1 | 2.0 s |" in md


def test_summary_of_a_failed_run_lists_the_failures_with_their_logs() -> None:
    run = RunFacts(
        dag_id="warehouse_setup", run_id="r", state="failed", month="2026-11", start=_t(0), end=_t(1),
        tasks=[
            TaskOutcome("migrate_warehouse", "failed", 3, log_url="http://a/m"),
            TaskOutcome("verify_warehouse", "upstream_failed", 0, log_url="http://a/v"),
        ],
    )
    md = render_run_summary(run)
    assert "# warehouse_setup — FAILED" in md and "- tasks: 2, failed: 2" in md
    assert "- **migrate_warehouse** (failed, try 3): [log](http://a/m)" in md
    assert md.count("none reported") == 3


def test_summary_reports_integrity_checks_and_validation_results() -> None:
    run = RunFacts(
        dag_id="returns_ingest", run_id="r", state="success", month="2026-11", start=None, end=None,
        tasks=[
            TaskOutcome("verify_warehouse", "success", 1, value={"core": 26, "meta": 2}),
            TaskOutcome("judge_file", "success", 1, 0, value={"file": "RET_AG01_202611_001.csv", "rows": 42,
                                                              "rejected": 0, "gx": {"success": False}}),
            TaskOutcome("publish", "success", 1, value={"files": ["/outbox/ASSIGN_AG01_202611.csv", "x"]}),
        ],
    )
    md = render_run_summary(run)
    assert "- verify_warehouse: core 26, meta 2" in md
    assert "- judge_file[0]: rejected = 0" in md
    assert "- judge_file[0]: gx validation FAILED" in md
    assert "| judge_file[0] | 42 | judge_file[0] |" in md
    assert "- publish: `/outbox/ASSIGN_AG01_202611.csv`" in md and "`x`" not in md


def test_write_run_summary_replaces_the_file_of_the_run(tmp_path: Path) -> None:
    first = write_run_summary(PORTFOLIO_RUN, tmp_path)
    assert first == tmp_path / "portfolio_extract" / "manual__2026-11-01T00_00_00_00_00.md"
    again = write_run_summary(RunFacts(**{**PORTFOLIO_RUN.__dict__, "state": "failed"}), tmp_path)
    assert again == first and "— FAILED" in first.read_text()
    assert sorted(p.name for p in first.parent.iterdir()) == [first.name]


@pytest.mark.parametrize(
    ("run_id", "name"),
    [("manual__2026-11-01T00:00:00+00:00", "manual__2026-11-01T00_00_00_00_00"),
     ("backfill__2026-10-01T00:00:00+01:00", "backfill__2026-10-01T00_00_00_01_00"),
     ("stack_extract", "stack_extract"), ("../etc", "etc"), ("..", "run")],
)
def test_safe_name(run_id: str, name: str) -> None:
    assert safe_name(run_id) == name


def test_pools_for_airflow_pools_import(capsys: pytest.CaptureFixture[str]) -> None:
    pools = json.loads(pools_json())
    assert pools[WAREHOUSE_WRITER_POOL]["slots"] == 1
    assert 1 < pools[SFTP_POOL]["slots"] <= 8
    assert set(pools) == set(POOLS)
    assert all({"slots", "description"} <= set(p) for p in pools.values())
    assert main(["pools"]) == 0 and json.loads(capsys.readouterr().out) == pools
    assert main(["nope"]) == 2


def _out_file(name: str, rows: int, kind: str = "ASSIGNMENT") -> dict[str, Any]:
    return {"name": name, "file_type": kind, "path": f"/data/outbox/AG01/{name}", "sha256": "ab" * 32,
            "size": 100, "rows": rows, "control_total": None}


def test_summary_of_a_publication_names_every_file_and_manifest_and_ingests_nothing() -> None:
    # assignment_monthly as `airflow dags test` ran it for a month ahead: the run's start_date was
    # the logical date (a month after the tasks ended), which gave a negative duration.
    package = {"kind": "ASSIGNMENT", "agency": "AG01", "period_label": "202701", "seq": 1,
               "files": [_out_file("CNSS_ASSIGN_AG01_202701_01.csv", 148),
                         _out_file("CNSS_DETAIL_AG01_202701_01.csv", 4989)],
               "manifest": _out_file("CNSS_ASSIGN_AG01_202701_01.manifest.json", 0, "MANIFEST")}
    published = {"package": package, "published_at": "2026-12-02T16:48:48Z", "files": [
        {"name": f["name"], "file_type": f["file_type"], "remote_path": f"outbox/{f['name']}",
         "sha256": f["sha256"], "rows": f["rows"], "control_total": None}
        for f in [*package["files"], package["manifest"]]]}
    run = RunFacts(
        dag_id="assignment_monthly", run_id="manual__x", state="success", month="2027-01",
        start=dt.datetime(2026, 12, 31, 23, 0, tzinfo=UTC), end=_t(10),
        tasks=[TaskOutcome("build_files", "success", 1, -1, 60.0, "http://a/b", end=_t(8), value=[package]),
               TaskOutcome("publish", "success", 1, 0, 30.0, "http://a/p", end=_t(9), value=published)],
    )
    md = render_run_summary(run)
    assert "- started: 2026-11-01 02:07:00 UTC" in md and "(3.0 min)" in md and "(-" not in md
    rows_ingested = md.split("## Rows ingested")[1].split("##")[0]
    assert "none reported" in rows_ingested and "CNSS_" not in rows_ingested
    files = md.split("## Files published")[1].split("##")[0]
    for name, rows in (("CNSS_ASSIGN_AG01_202701_01.csv", "148"), ("CNSS_DETAIL_AG01_202701_01.csv", "4,989"),
                       ("CNSS_ASSIGN_AG01_202701_01.manifest.json", "0")):
        assert f"| {name} | {rows} | `outbox/{name}` | publish[0] |" in files, files
    assert "| manifest |" not in md and "| publish[0] | 0 |" not in md


def test_summary_of_an_ingestion_lists_the_files_received_with_their_rows() -> None:
    received = [{"agency": "AG02", "file_name": "AG02_PAYMENTS_20270104_01.csv", "sha256": "cd" * 32,
                 "return_file_id": 7, "status": "PARTIALLY_ACCEPTED", "rows_received": 12,
                 "rows_accepted": 9, "rows_rejected": 2, "rows_duplicate": 1, "replayed": False,
                 "ack_path": "/data/acks/x.ack.json", "rejects_path": None}]
    run = RunFacts(dag_id="returns_ingest", run_id="r", state="success", month="2027-01", start=_t(0),
                   end=_t(1), tasks=[TaskOutcome("ingest", "success", 1, -1, 5.0, "http://a/i", end=_t(1),
                                                 value=[{"agency": "AG02", "items": received}])])
    md = render_run_summary(run)
    assert ("| AG02/AG02_PAYMENTS_20270104_01.csv | 12 | 9 | 2 | 1 | PARTIALLY_ACCEPTED | ingest |"
            in md.split("## Files received")[1])
    assert "AG02_PAYMENTS" not in md.split("## Files published")[1].split("## Tasks")[0]


def test_a_task_timed_across_two_clocks_never_shows_a_negative_duration() -> None:
    # The API server failed the task on its own clock 0.4 s "before" the start the worker stamped on
    # a clock that runs ahead: Airflow stores the task's duration as -0.4.
    run = RunFacts(dag_id="returns_ingest", run_id="r", state="failed", month="2027-01", start=None, end=None,
                   tasks=[TaskOutcome("fetch_inbox", "failed", 1, 0, -0.4, "http://a/f", end=_t(5))])
    md = render_run_summary(run)
    assert "| [fetch_inbox[0]](http://a/f) | failed | 1 | 0.0 s |" in md, md
    assert "- started: 2026-11-01 02:05:00 UTC" in md and "- ended: 2026-11-01 02:05:00 UTC (0.0 s)" in md
    assert "-0.4" not in md


def _fetched(name: str) -> dict[str, Any]:
    """An item of recouvra.ingest.fetch_inbox: the agency's file downloaded from its inbox/."""
    return {"agency": "AG02", "file_name": name, "remote_path": f"inbox/{name}", "size": 640,
            "mtime": 1_799_000_000, "received_at": "2027-01-04T10:00:00+00:00", "sha256": "cd" * 32,
            "local_path": f"/data/inbox/AG02/r/{name}", "sidecar_remote": None, "sidecar_path": None}


def test_summary_of_an_ingestion_lists_the_agencies_files_as_received_never_as_published() -> None:
    ok, bad = _fetched("AG02_PAYMENTS_20270104_01.csv"), _fetched("AG02_ACTIONS_20270104_01.csv")
    ingested = [{**ok, "return_file_id": 7, "status": "PARTIALLY_ACCEPTED", "rows_received": 12,
                 "rows_accepted": 9, "rows_rejected": 2, "rows_duplicate": 1, "replayed": False,
                 "ack_path": "/data/inbox/AG02/r/acks/AG02_PAYMENTS_20270104_01.ack.json",
                 "rejects_path": None, "error": None},
                {**bad, "status": "ERROR", "error": "OperationalError: database is locked"}]
    run = RunFacts(
        dag_id="returns_ingest", run_id="r", state="failed", month="2027-01", start=_t(0), end=_t(5),
        tasks=[TaskOutcome("fetch_inbox", "success", 1, 0, 1.0, "http://a/f0", end=_t(1), value=[]),
               TaskOutcome("fetch_inbox", "success", 1, 1, 1.0, "http://a/f1", end=_t(1), value=[ok, bad]),
               TaskOutcome("ingest", "success", 1, -1, 5.0, "http://a/i", end=_t(2),
                           value=[{"agency": "AG02", "items": ingested}]),
               TaskOutcome("deliver_acks", "success", 1, 0, 1.0, "http://a/d", end=_t(3), value=[
                   {"file_name": ok["file_name"], "delivered": True, "note": "acknowledged and moved",
                    "moved_to": f"inbox/processed/{ok['file_name']}", "status": "PARTIALLY_ACCEPTED"},
                   {"file_name": bad["file_name"], "delivered": False, "moved_to": None,
                    "note": "not ingested: OperationalError: database is locked"}]),
               TaskOutcome("report", "failed", 1, -1, 0.1, "http://a/r", end=_t(4))],
    )
    md = render_run_summary(run)
    received = md.split("## Files received")[1].split("##")[0]
    assert "| AG02/AG02_PAYMENTS_20270104_01.csv | 12 | 9 | 2 | 1 | PARTIALLY_ACCEPTED | ingest |" in received
    assert "| AG02/AG02_ACTIONS_20270104_01.csv |  |  |  |  | ERROR | ingest |" in received, received
    published = md.split("## Files published")[1].split("##")[0]
    assert published.strip() == "none reported", published


def test_summary_of_a_failed_upload_lists_the_files_built_apart_from_those_published() -> None:
    def package(agency: str) -> dict[str, Any]:
        def built(name: str, rows: int, kind: str) -> dict[str, Any]:
            return {**_out_file(name, rows, kind), "path": f"/data/outbox/{agency}/{name}"}
        return {"kind": "ASSIGNMENT", "agency": agency, "period_label": "202701", "seq": 1,
                "files": [built(f"CNSS_ASSIGN_{agency}_202701_01.csv", 148, "ASSIGNMENT"),
                          built(f"CNSS_DETAIL_{agency}_202701_01.csv", 4989, "DETAIL")],
                "manifest": built(f"CNSS_ASSIGN_{agency}_202701_01.manifest.json", 0, "MANIFEST")}
    ag01, ag02 = package("AG01"), package("AG02")
    sent = {"package": ag01, "published_at": "2027-01-01T06:09:00Z", "files": [
        {"name": f["name"], "file_type": f["file_type"], "remote_path": f"outbox/{f['name']}",
         "sha256": f["sha256"], "rows": f["rows"], "control_total": None}
        for f in [*ag01["files"], ag01["manifest"]]]}
    run = RunFacts(
        dag_id="assignment_monthly", run_id="r", state="failed", month="2027-01", start=_t(0), end=_t(12),
        tasks=[TaskOutcome("build_files", "success", 1, -1, 60.0, "http://a/b", end=_t(8),
                           value=[ag01, ag02]),
               TaskOutcome("publish", "success", 1, 0, 30.0, "http://a/p0", end=_t(9), value=sent),
               TaskOutcome("publish", "failed", 3, 1, 30.0, "http://a/p1", end=_t(11)),
               TaskOutcome("record_publication", "upstream_failed", 0, -1, 0.0, "http://a/r", end=_t(11))],
    )
    md = render_run_summary(run)
    published = md.split("## Files published")[1].split("##")[0]
    manifest = "CNSS_ASSIGN_AG01_202701_01.manifest.json"
    assert f"| {manifest} | 0 | `outbox/{manifest}` | publish[0] |" in published, published
    assert "AG02" not in published, published
    unsent = md.split("## Files written, not published")[1].split("##")[0]
    for name in ("CNSS_ASSIGN_AG02_202701_01.csv", "CNSS_DETAIL_AG02_202701_01.csv",
                 "CNSS_ASSIGN_AG02_202701_01.manifest.json"):
        assert f"| {name} | " in unsent and f"`/data/outbox/AG02/{name}` | build_files |" in unsent, unsent
    assert "AG01" not in unsent, unsent


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("airflow.ti_successes:1|c", Metric("airflow.ti_successes", 1.0, "c")),
        ("airflow.task.duration:153.2|ms|#dag_id:kpi_load", Metric("airflow.task.duration", 153.2, "ms")),
        ("airflow.pool.open_slots.sftp:4|g|@0.5", Metric("airflow.pool.open_slots.sftp", 4, "g")),
        ("no sample here", None),
        ("airflow.x:abc|c", None),
        (":1|c", None),
    ],
)
def test_statsd_lines_parse(line: str, expected: Metric | None) -> None:
    assert Metric.parse(line) == expected


def test_the_statsd_listener_collects_what_is_sent_to_it() -> None:
    import socket
    import time

    with StatsdListener() as listener, socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.sendto(b"airflow.ti.start.d.t:1|c\nairflow.ti_successes:1|c", (listener.host, listener.port))
        sock.sendto(b"garbage", (listener.host, listener.port))
        for _ in range(100):  # the listener's thread takes it in its own time
            if len(listener.metrics()) == 2:
                break
            time.sleep(0.02)
    assert [m.name for m in listener.metrics()] == ["airflow.ti.start.d.t", "airflow.ti_successes"]


def test_metrics_usage_is_explained(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["metrics", "1", "2"]) == 2
    assert "metrics [PORT]" in capsys.readouterr().err

"""The fingerprint that proves a re-run reproduced a month: what it sees as the same, what as changed."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from recouvra import fingerprint
from recouvra.cli import main
from recouvra.warehouse import Warehouse, connect, migrate_connection


@pytest.fixture()
def wh(tmp_path: Path) -> Iterator[Warehouse]:
    with connect(f"duckdb:///{(tmp_path / 'wh.duckdb').as_posix()}") as conn:
        migrate_connection(conn)
        yield conn


def _agency_month(wh: Warehouse, agency: str, attributed: str, computed_at: dt.datetime) -> None:
    wh.execute("DELETE FROM marts.kpi_agency_month WHERE agency_code = ?", [agency])
    wh.execute("INSERT INTO marts.kpi_agency_month VALUES (?, DATE '2026-11-01', 10, 10, 0, 1000.00, 900.00, "
               "3, 100.00, 100.00, ?, 3.00, 0.03, ?)", [agency, attributed, computed_at])


def _home(root: Path) -> Path:
    outbox = root / "AG01" / "outbox"
    (outbox / "acks").mkdir(parents=True)
    (root / "AG01" / "inbox").mkdir()
    (root / "AG01" / "inbox" / "AG01_ACTIONS_20261115_01.csv").write_text("agency's own file\n")
    (outbox / "CNSS_ASSIGN_AG01_202611_01.csv").write_text("dossier_id;...\n")
    manifest = {"spec": "agency-exchange/1", "agency": "AG01", "generated_at": "2026-11-01T05:00:00Z",
                "files": [{"name": "CNSS_ASSIGN_AG01_202611_01.csv"}]}
    (outbox / "CNSS_ASSIGN_AG01_202611_01.manifest.json").write_text(json.dumps(manifest, indent=2))
    (outbox / "acks" / "AG01_ACTIONS_20261115_01.ack.json").write_text('{"status": "ACCEPTED"}\n')
    return outbox


def test_same_files_and_rows_compare_equal_whatever_generated_at_and_computed_at(
    tmp_path: Path, wh: Warehouse
) -> None:
    outbox = _home(tmp_path / "sftp")
    _agency_month(wh, "AG01", "100.00", dt.datetime(2026, 12, 1, 6))
    before = {"files": fingerprint.outbox_files(tmp_path / "sftp"), "rows": fingerprint.mart_rows(wh)}
    assert sorted(before["files"]) == ["AG01/outbox/CNSS_ASSIGN_AG01_202611_01.csv",
                                       "AG01/outbox/CNSS_ASSIGN_AG01_202611_01.manifest.json",
                                       "AG01/outbox/acks/AG01_ACTIONS_20261115_01.ack.json"]
    # a re-run: the package sent again with a new generated_at, the KPI row recomputed later
    m = outbox / "CNSS_ASSIGN_AG01_202611_01.manifest.json"
    m.write_text(m.read_text().replace("2026-11-01T05:00:00Z", "2027-02-03T09:10:11Z"))
    _agency_month(wh, "AG01", "100.00", dt.datetime(2027, 2, 3, 9))
    after = {"files": fingerprint.outbox_files(tmp_path / "sftp"), "rows": fingerprint.mart_rows(wh)}
    result = fingerprint.compare(before, after)
    assert result.differences == []
    assert result.files_compared == 3
    assert result.rows_compared >= 2  # the table's row and the v_agency_month view's row


def test_a_changed_amount_an_added_file_and_a_changed_manifest_are_each_reported(
    tmp_path: Path, wh: Warehouse
) -> None:
    outbox = _home(tmp_path / "sftp")
    _agency_month(wh, "AG01", "100.00", dt.datetime(2026, 12, 1, 6))
    before = {"files": fingerprint.outbox_files(tmp_path / "sftp"), "rows": fingerprint.mart_rows(wh)}
    _agency_month(wh, "AG01", "100.01", dt.datetime(2026, 12, 1, 6))
    (outbox / "CNSS_RECALL_AG01_20261201_01.csv").write_text("dossier_id;recall_date;reason\n")
    m = outbox / "CNSS_ASSIGN_AG01_202611_01.manifest.json"
    m.write_text(m.read_text().replace('"agency": "AG01"', '"agency": "AG02"'))
    after = {"files": fingerprint.outbox_files(tmp_path / "sftp"), "rows": fingerprint.mart_rows(wh)}
    diff = fingerprint.compare(before, after).differences
    assert "file added: AG01/outbox/CNSS_RECALL_AG01_20261201_01.csv" in diff
    assert "file changed: AG01/outbox/CNSS_ASSIGN_AG01_202611_01.manifest.json" in diff
    assert any(d.startswith("rows of marts.kpi_agency_month: 1 no longer there, 1 new") for d in diff)
    assert any(d.startswith("rows of marts.v_agency_month:") for d in diff)


def test_cli_compare_prints_the_figures_and_exits_1_on_a_difference(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a = {"format": fingerprint.FORMAT, "files": {"AG01/outbox/x.csv": "1"}, "rows": {"marts.t": ["a", "b"]}}
    b = {**a, "rows": {"marts.t": ["a", "c"]}}
    (tmp_path / "a.json").write_text(json.dumps(a))
    (tmp_path / "b.json").write_text(json.dumps(b))
    assert main(["fingerprint", "--compare", str(tmp_path / "a.json"), str(tmp_path / "a.json")]) == 0
    assert "files compared: 1; rows compared: 2; differences: 0" in capsys.readouterr().out
    assert main(["fingerprint", "--compare", str(tmp_path / "a.json"), str(tmp_path / "b.json")]) == 1
    out = capsys.readouterr().out
    assert "rows of marts.t: 1 no longer there, 1 new or changed (2 -> 2 rows)" in out
    assert "differences: 1" in out

"""Incremental extraction to the lake and its Great Expectations gate, on a small SQLite source."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from recouvra.errors import SourceError
from recouvra.extract import FULL_LOAD_LOW, _ts, extract_table, published_snapshots, scan_hint, source_totals
from recouvra.lake import TABLES
from recouvra.portfolio import QualityGateError, extract_snapshot, gate_and_publish

DDL = Path(__file__).resolve().parents[2] / "include" / "sql" / "source" / "create_source_tables.sql"
D1 = dt.date(2026, 11, 1)
D2 = dt.date(2026, 11, 2)


def _source(tmp_path: Path) -> tuple[str, sqlite3.Connection]:
    path = tmp_path / "source.db"
    con = sqlite3.connect(path)
    con.executescript(DDL.read_text(encoding="utf-8"))
    con.executemany(
        "INSERT INTO employers (affiliation_no, legal_name, status, registered_on, updated_at) "
        "VALUES (?, ?, 'ACTIVE', '2015-03-01', ?)",
        [("1000001", "STE ATLAS TRANSPORT SARL", "2026-10-01 09:00:00"),
         ("1000002", "Ets Benali", "2026-10-15 10:30:00")],
    )
    con.executemany(
        "INSERT INTO receivables (receivable_id, affiliation_no, period, kind, basis, amount_centimes, "
        "established_on, updated_at) VALUES (?, ?, ?, ?, 'CONTRIBUTIONS', ?, '2026-09-10', ?)",
        [(1, "1000001", "2026-08", "PRINCIPAL", 1234567, "2026-10-01 09:00:00"),
         (2, "1000001", "2026-08", "SURCHARGE", 37037, "2026-10-01 09:00:00"),
         (3, "1000002", "2026-09", "PRINCIPAL", 500000, "2026-10-31 23:59:59")],
    )
    con.commit()
    return f"sqlite:///{path}", con


def _run(url: str, lake: Path, day: dt.date, run_id: str) -> dict:
    high = dt.datetime.combine(day, dt.time())
    snaps = [extract_snapshot(url, lake, t, day, high, run_id) for t in TABLES]
    return gate_and_publish(url, lake, lake.parent / "gx", snaps, run_id)


def _rows(lake: Path, table: str, day: dt.date) -> list[dict]:
    return pq.read_table(lake / table / f"snapshot_date={day.isoformat()}").to_pylist()


def test_first_snapshot_holds_everything_and_matches_the_source(tmp_path: Path) -> None:
    url, _ = _source(tmp_path)
    lake = tmp_path / "lake"
    out = _run(url, lake, D1, "manual__1")
    assert out["tables"]["employers"]["rows"] == 2
    assert out["tables"]["receivables"]["rows"] == 3
    assert out["tables"]["ledger_payments"]["rows"] == 0
    rows = _rows(lake, "receivables", D1)
    assert sum(r["amount_centimes"] for r in rows) == 1234567 + 37037 + 500000
    assert rows[0]["established_on"] == dt.date(2026, 9, 10)  # typed, not text
    assert out["data_docs"] and Path(out["data_docs"]).exists()
    manifest = json.loads((lake / "receivables" / "snapshot_date=2026-11-01" / "_manifest.json").read_text())
    assert manifest["high"] == "2026-11-01 00:00:00.000000"
    assert not (lake / "_incoming").exists() or not any((lake / "_incoming").rglob("*.parquet"))


def test_next_snapshot_holds_only_the_changes_and_reruns_reproduce_it(tmp_path: Path) -> None:
    url, con = _source(tmp_path)
    lake = tmp_path / "lake"
    _run(url, lake, D1, "manual__1")
    con.execute("UPDATE receivables SET amount_centimes = 400000, updated_at = '2026-11-01 08:00:00' "
                "WHERE receivable_id = 3")
    con.execute("INSERT INTO ledger_payments VALUES (10, 'R-10', '1000002', '2026-11-01', 100000, "
                "'2026-09', 'PAYMENT', NULL, 'CHEQUE', 'RF14 2026 1100 0123', '2026-11-01 08:05:00', "
                "'2026-11-01 08:05:00')")
    con.commit()
    first = _run(url, lake, D2, "scheduled__2")
    assert first["tables"]["receivables"]["rows"] == 1
    assert first["tables"]["employers"]["rows"] == 0
    assert first["tables"]["ledger_payments"]["rows"] == 1
    # The reference the payer quoted reaches the lake as quoted (issue 17.4).
    assert [(r["payment_id"], r["payment_ref"]) for r in _rows(lake, "ledger_payments", D2)] == [
        (10, "RF14 2026 1100 0123")]
    before = _rows(lake, "receivables", D2)
    # The source moves on: receivable 3 changes again after D2's bound, so a new extraction of D2's
    # window would no longer hold it. Re-running D2 keeps what it published: the lake as of D2 is
    # what every stage of D2 read the first time.
    con.execute("UPDATE receivables SET amount_centimes = 300000, updated_at = '2026-11-02 07:00:00' "
                "WHERE receivable_id = 3")
    con.commit()
    again = _run(url, lake, D2, "scheduled__2_retry")
    assert {t: {**v, "kept": False} for t, v in again["tables"].items()} == first["tables"]
    assert all(v["kept"] for v in again["tables"].values())
    assert _rows(lake, "receivables", D2) == before
    assert [r["amount_centimes"] for r in before] == [400000]
    assert [s.snapshot_date for s in published_snapshots(lake, "receivables")] == ["2026-11-01", "2026-11-02"]


def test_corrupted_snapshot_is_quarantined_and_nothing_is_published(tmp_path: Path) -> None:
    url, con = _source(tmp_path)
    lake = tmp_path / "lake"
    # An orphan receivable, a negative amount and an impossible month: the source itself is corrupt.
    con.execute("INSERT INTO receivables VALUES (4, '9999999', '2026-13', 'PRINCIPAL', 'CONTRIBUTIONS', "
                "-5, '2026-09-10', NULL, '2026-10-20 10:00:00')")
    con.commit()
    with pytest.raises(QualityGateError) as err:
        _run(url, lake, D1, "manual__bad")
    text = str(err.value)
    assert "receivables" in text and "FAILED" in text
    assert "expect_column_values_to_be_between" in text  # negative amount
    assert "expect_column_values_to_match_regex" in text  # month 13
    assert "orphans" in text
    assert "data docs:" in text
    assert list((lake / "_quarantine" / "receivables").rglob("*.parquet"))
    assert published_snapshots(lake, "receivables") == []
    assert published_snapshots(lake, "employers") == []  # all or nothing


def test_snapshot_altered_after_extraction_fails_the_totals(tmp_path: Path) -> None:
    url, _ = _source(tmp_path)
    lake = tmp_path / "lake"
    high = dt.datetime.combine(D1, dt.time())
    snaps = [extract_snapshot(url, lake, t, D1, high, "manual__x") for t in TABLES]
    rec = next(s for s in snaps if s["table"] == "receivables")
    path = Path(rec["path"]) / rec["files"][0]
    tbl = pq.read_table(path)
    amounts = tbl.column("amount_centimes").to_pylist()
    amounts[0] += 1  # one centime
    tbl = tbl.set_column(tbl.schema.get_field_index("amount_centimes"), "amount_centimes",
                         pa.array(amounts, pa.int64()))
    pq.write_table(tbl, path)
    with pytest.raises(QualityGateError, match=r"sum_amount_centimes"):
        gate_and_publish(url, lake, tmp_path / "gx", snaps, "manual__x")


def test_first_window_takes_rows_dated_before_1970_and_undated_rows(tmp_path: Path) -> None:
    # The fund's oldest employers were last touched before the Unix epoch; some rows carry no date.
    url, con = _source(tmp_path)
    con.executemany(
        "INSERT INTO employers (affiliation_no, legal_name, status, registered_on, updated_at) "
        "VALUES (?, ?, 'ACTIVE', '1961-05-02', ?)",
        [("1000003", "MINOTERIE DU SOUSS", "1966-11-03 02:00:31"), ("1000004", "Ets Alaoui", None)],
    )
    con.executemany(
        "INSERT INTO receivables (receivable_id, affiliation_no, period, kind, basis, amount_centimes, "
        "established_on, updated_at) VALUES (?, ?, '2026-08', 'PRINCIPAL', 'CONTRIBUTIONS', ?, "
        "'2026-09-10', ?)",
        [(5, "1000003", 70000, "2026-10-02 09:00:00"), (6, "1000004", 80000, None)],
    )
    con.commit()
    lake = tmp_path / "lake"
    out = _run(url, lake, D1, "manual__1")  # the gate passes: no orphan
    assert out["tables"]["employers"]["rows"] == 4
    assert out["tables"]["receivables"]["rows"] == 5
    employers = {r["affiliation_no"]: r["updated_at"] for r in _rows(lake, "employers", D1)}
    assert employers["1000003"] == dt.datetime(1966, 11, 3, 2, 0, 31)
    assert employers["1000004"] is None
    assert out["tables"]["employers"]["low"] < "1900"
    # The next window is incremental: nothing taken twice, the undated rows included.
    second = _run(url, lake, D2, "scheduled__2")
    assert second["tables"]["employers"]["rows"] == 0
    assert second["tables"]["receivables"]["rows"] == 0


def test_gate_failure_names_the_failed_expectations_the_first_keys_and_the_cause(tmp_path: Path) -> None:
    url, con = _source(tmp_path)
    lake = tmp_path / "lake"
    _run(url, lake, D1, "manual__1")
    # An employer backdated before the last window (so never extracted) and a receivable of it in the
    # window; another receivable of an employer the source does not hold; one negative amount.
    con.execute("INSERT INTO employers (affiliation_no, legal_name, status, registered_on, updated_at) "
                "VALUES ('1000009', 'STE OUBLIEE', 'ACTIVE', '1960-01-01', '1969-12-31 23:00:00')")
    con.executemany(
        "INSERT INTO receivables (receivable_id, affiliation_no, period, kind, basis, amount_centimes, "
        "established_on, updated_at) VALUES (?, ?, '2026-09', 'PRINCIPAL', 'CONTRIBUTIONS', ?, "
        "'2026-10-10', '2026-11-01 10:00:00')",
        [(7, "1000009", 1000), (8, "7777777", 2000), (9, "1000001", -3)],
    )
    con.commit()
    with pytest.raises(QualityGateError) as err:
        _run(url, lake, D2, "scheduled__2")
    text = str(err.value)
    assert ("orphans: 2 rows refer to 2 employers the extraction did not take (first: 1000009, 7777777)"
            in text)
    assert "employer 1000009: in the source with updated_at 1969-12-31 23:00:00" in text
    assert "outside this run's employers window (2026-11-01 00:00:00.000000, 2026-11-02" in text
    assert "employer 7777777: not in the source's employers table" in text
    assert ("expect_column_values_to_be_between on 'amount_centimes': 1 rows (first keys: receivable_id=9)"
            in text)


def test_an_unreadable_value_stops_the_extraction_with_the_rows_taken_so_far(tmp_path: Path) -> None:
    url, con = _source(tmp_path)
    # Text in a SQLite DATE column: the third row of the window (chunks of two rows, slices of two).
    con.execute("INSERT INTO receivables VALUES (4, '1000002', '2026-09', 'PRINCIPAL', 'CONTRIBUTIONS', "
                "1, 'le 10 septembre', NULL, '2026-10-31 23:59:59.5')")
    con.commit()
    high = dt.datetime.combine(D1, dt.time())
    with pytest.raises(SourceError, match=r"receivables: extraction failed after 2 rows"):
        extract_table(url, tmp_path / "lake", "receivables", D1, high, "r1", chunk_rows=2)


def test_a_full_load_scans_the_sqlite_table_and_counts_as_the_index_would(tmp_path: Path) -> None:
    url, con = _source(tmp_path)
    full, later, high = _ts(FULL_LOAD_LOW), "2026-10-01 09:00:00.000000", "2026-11-01 00:00:00.000000"
    assert scan_hint(url, "receivables", full, high) == "NOT INDEXED"
    # PostgreSQL plans from its statistics (and is not asked anything)
    assert scan_hint("postgresql+psycopg://u@h/db", "receivables", full, high) == ""
    con.execute("CREATE INDEX ix_receivables_updated_at ON receivables (updated_at)")
    con.execute("UPDATE receivables SET updated_at = NULL WHERE receivable_id = 2")
    con.commit()
    assert source_totals(url, "receivables", full, "2026-11-01 00:00:00.000000") == {
        "rows": 3, "amount_centimes": 1234567 + 37037 + 500000}
    assert source_totals(url, "receivables", later, "2026-11-01 00:00:00.000000") == {
        "rows": 1, "amount_centimes": 500000}
    high = dt.datetime.combine(D1, dt.time())
    snap = extract_table(url, tmp_path / "lake", "receivables", D1, high, "r1", chunk_rows=2)
    ids = pq.read_table(Path(snap.path) / snap.files[0]).column("receivable_id").to_pylist()
    assert ids == [2, 1, 3]  # ORDER BY updated_at (NULL first in SQLite), receivable_id


def test_a_later_window_scans_the_sqlite_table_from_a_tenth_of_its_rows_with_the_same_rows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url, con = _source(tmp_path)
    con.execute("CREATE INDEX ix_receivables_updated_at ON receivables (updated_at)")
    # 100 lines: ids 1..3 as above, 4..100 dated before the window but for every seventh one
    con.executemany(
        "INSERT INTO receivables (receivable_id, affiliation_no, period, kind, basis, amount_centimes, "
        "established_on, updated_at) VALUES (?, '1000002', '2026-09', 'PRINCIPAL', 'CONTRIBUTIONS', ?, "
        "'2026-09-10', ?)",
        [(i, 1000 + i, "2026-10-20 08:00:00" if i % 7 == 0 else "2026-09-01 08:00:00")
         for i in range(4, 101)],
    )
    con.commit()
    low, high = "2026-10-01 09:00:00.000000", "2026-11-01 00:00:00.000000"
    narrow = "2026-10-31 00:00:00.000000"
    assert scan_hint(url, "receivables", narrow, high) == ""  # 1 row in 100: the index
    assert scan_hint(url, "receivables", low, high) == "NOT INDEXED"  # 14 + 1 rows in 100: a scan
    assert scan_hint(url, "employers", "2026-10-15 00:00:00.000000", high) == "NOT INDEXED"  # 1 of 2

    def extracted(share: float, run_id: str) -> tuple[list[dict], dict[str, int]]:
        monkeypatch.setattr("recouvra.extract.SCAN_SHARE", share)
        snap = extract_table(url, tmp_path / "lake", "receivables", D1,
                             dt.datetime.combine(D1, dt.time()), run_id, chunk_rows=4)
        rows = pq.read_table(Path(snap.path) / snap.files[0]).to_pylist()
        return rows, source_totals(url, "receivables", low, high)

    # extract_table's window starts at the lake's last watermark: a first published snapshot sets it
    monkeypatch.setattr("recouvra.extract.low_watermark", lambda *_a: low)
    by_index, by_scan = extracted(2.0, "r-index"), extracted(0.0, "r-scan")
    assert by_index == by_scan
    assert [r["receivable_id"] for r in by_scan[0]] == [*range(7, 101, 7), 3]
    assert by_scan[1]["rows"] == 15

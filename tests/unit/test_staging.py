"""Merging lake snapshots into staging: latest version per key, idempotent, re-runs of a day redone."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from decimal import Decimal
from pathlib import Path

import pytest

from recouvra.lake import TABLES
from recouvra.portfolio import extract_snapshot, gate_and_publish
from recouvra.staging import StagingError, load_staging
from recouvra.warehouse import Warehouse, connect, migrate_connection

DDL = Path(__file__).resolve().parents[2] / "include" / "sql" / "source" / "create_source_tables.sql"


def _source(tmp_path: Path) -> tuple[str, sqlite3.Connection]:
    con = sqlite3.connect(tmp_path / "source.db")
    con.executescript(DDL.read_text(encoding="utf-8"))
    con.execute("INSERT INTO employers (affiliation_no, legal_name, status, registered_on, updated_at) "
                "VALUES ('1000001', 'STE ATLAS', 'ACTIVE', '2015-03-01', '2026-10-01 09:00:00')")
    con.executemany(
        "INSERT INTO receivables (receivable_id, affiliation_no, period, kind, basis, amount_centimes, "
        "established_on, updated_at) VALUES (?, '1000001', '2026-08', ?, 'CONTRIBUTIONS', ?, "
        "'2026-09-10', '2026-10-01 09:00:00')",
        [(1, "PRINCIPAL", 100000), (2, "SURCHARGE", 3000)],
    )
    con.commit()
    return f"sqlite:///{tmp_path / 'source.db'}", con


def _publish(url: str, lake: Path, day: dt.date, run_id: str) -> None:
    high = dt.datetime.combine(day, dt.time())
    snaps = [extract_snapshot(url, lake, t, day, high, run_id) for t in TABLES]
    gate_and_publish(url, lake, lake.parent / "gx", snaps, run_id)


def test_snapshots_merge_to_the_latest_version_once(tmp_path: Path) -> None:
    url, lake = _two_days(tmp_path, new_receivable=False)
    with connect(f"duckdb:///{tmp_path / 'wh.duckdb'}") as wh:
        migrate_connection(wh)
        merged = load_staging(wh, lake)
        assert merged == {"employers": 1, "receivables": 3}
        rows = wh.query("SELECT receivable_id, amount_centimes, snapshot_date FROM staging.receivables "
                        "ORDER BY 1")
        assert rows == [(1, 90000, dt.date(2026, 11, 2)), (2, 3000, dt.date(2026, 11, 1))]
        assert load_staging(wh, lake) == {}  # nothing new: nothing merged
        log = wh.query("SELECT table_name, snapshot_date, row_count FROM meta.staging_load "
                       "WHERE table_name = 'receivables' ORDER BY 2")
        assert log == [("receivables", dt.date(2026, 11, 1), 2), ("receivables", dt.date(2026, 11, 2), 1)]
        # Re-running day 1 keeps its published partition (receivable 1 has since moved past day 1's
        # watermark: a second extraction would hold only receivable 2): nothing to merge again.
        _publish(url, lake, dt.date(2026, 11, 1), "r1-again")
        assert load_staging(wh, lake) == {}
        assert wh.query("SELECT sum(amount_centimes) FROM staging.receivables")[0][0] == 93000


def _two_days(tmp_path: Path, *, new_receivable: bool = True) -> tuple[str, Path]:
    """A lake of two published days: day 2 changes receivable 1 (and adds receivable 3)."""
    url, con = _source(tmp_path)
    lake = tmp_path / "lake"
    _publish(url, lake, dt.date(2026, 11, 1), "r1")
    con.execute("UPDATE receivables SET amount_centimes = 90000, updated_at = '2026-11-01 10:00:00' "
                "WHERE receivable_id = 1")
    if new_receivable:
        con.execute("INSERT INTO receivables (receivable_id, affiliation_no, period, kind, basis, "
                    "amount_centimes, established_on, updated_at) VALUES (3, '1000001', '2026-09', "
                    "'PENALTY', 'CONTRIBUTIONS', 500, '2026-10-10', '2026-11-01 11:00:00')")
    con.commit()
    _publish(url, lake, dt.date(2026, 11, 2), "r2")
    return url, lake


def _state(wh: Warehouse) -> dict[str, list[tuple[object, ...]]]:
    """Every staging table's rows and the load log (without its timestamps), in key order."""
    out = {t: wh.query(f"SELECT * FROM staging.{t} ORDER BY ALL") for t in TABLES}
    out["load"] = wh.query("SELECT table_name, snapshot_date, run_id, row_count, control_total "
                           "FROM meta.staging_load ORDER BY ALL")
    return out


def _manifest(lake: Path, table: str, day: str) -> Path:
    return lake / table / f"snapshot_date={day}" / "_manifest.json"


def test_redoing_a_month_gives_the_same_tables(tmp_path: Path) -> None:
    _, lake = _two_days(tmp_path)
    with connect(f"duckdb:///{tmp_path / 'wh.duckdb'}") as wh:
        migrate_connection(wh)
        assert load_staging(wh, lake) == {"employers": 1, "receivables": 4}
        first = _state(wh)
        assert first["receivables"][0][5] == 90000 and len(first["receivables"]) == 3
        # Day 1 re-published by another run (same rows): day 1 and day 2 merged again, same result.
        m = _manifest(lake, "receivables", "2026-11-01")
        m.write_text(json.dumps({**json.loads(m.read_text()), "run_id": "r1-again"}))
        assert load_staging(wh, lake) == {"receivables": 4}
        again = _state(wh)
        assert {t: again[t] for t in TABLES} == {t: first[t] for t in TABLES}
        assert ("receivables", dt.date(2026, 11, 1), "r1-again", 2, Decimal("1030.00")) in again["load"]
        assert load_staging(wh, lake) == {}


def test_a_row_count_unlike_the_manifest_is_refused_naming_the_snapshot(tmp_path: Path) -> None:
    _, lake = _two_days(tmp_path)
    m = _manifest(lake, "receivables", "2026-11-02")
    m.write_text(json.dumps({**json.loads(m.read_text()), "rows": 5}))
    with connect(f"duckdb:///{tmp_path / 'wh.duckdb'}") as wh:
        migrate_connection(wh)
        with pytest.raises(StagingError, match=r"staging\.receivables: snapshot 2026-11-02 .* holds 2 rows, "
                                               r"its manifest says 5"):
            load_staging(wh, lake)
        # Day 1 was merged (its own transaction), day 2 left nothing behind.
        assert wh.query("SELECT receivable_id, amount_centimes FROM staging.receivables ORDER BY 1") == [
            (1, 100000), (2, 3000)]
        assert wh.query("SELECT count(*) FROM meta.staging_load WHERE snapshot_date = '2026-11-02' "
                        "AND table_name = 'receivables'") == [(0,)]


@pytest.mark.parametrize("after", ["DELETE FROM staging.receivables", "INSERT INTO staging.receivables"])
def test_a_merge_killed_midway_leaves_the_previous_state(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, after: str
) -> None:
    _, lake = _two_days(tmp_path)
    day2 = tmp_path / "day2"
    (lake / "receivables" / "snapshot_date=2026-11-02").rename(day2)  # merge day 1 only first
    with connect(f"duckdb:///{tmp_path / 'wh.duckdb'}") as wh:
        migrate_connection(wh)
        load_staging(wh, lake)
        before = _state(wh)
        day2.rename(lake / "receivables" / "snapshot_date=2026-11-02")

        real = Warehouse._run

        def killed(self: Warehouse, sql: str, params: object, *, fetch: bool) -> list[tuple[object, ...]]:
            out = real(self, sql, params, fetch=fetch)  # type: ignore[arg-type]
            if after in sql:
                raise KeyboardInterrupt("killed")
            return out

        monkeypatch.setattr(Warehouse, "_run", killed)
        with pytest.raises(KeyboardInterrupt):
            load_staging(wh, lake)
        monkeypatch.undo()
        assert _state(wh) == before
        # The next run merges day 2 as if nothing had happened.
        assert load_staging(wh, lake) == {"receivables": 2}
        assert wh.query("SELECT receivable_id, amount_centimes, snapshot_date FROM staging.receivables "
                        "ORDER BY 1") == [(1, 90000, dt.date(2026, 11, 2)), (2, 3000, dt.date(2026, 11, 1)),
                                          (3, 500, dt.date(2026, 11, 2))]


#: One row of each source table for the key number ``n`` (1, 2, ...), its values from ``v``: every
#: staging table gets rows, plan_installments under its composite key (plan P1, instalment n).
_EVERY_TABLE = {
    "employers": ("INSERT OR REPLACE INTO employers (affiliation_no, legal_name, status, registered_on, "
                  "updated_at) VALUES ('100000' || :n, 'STE ' || :v, 'ACTIVE', '2015-03-01', :at)"),
    "declarations": ("INSERT OR REPLACE INTO declarations (declaration_id, affiliation_no, period, "
                     "headcount, payroll_centimes, declared_on, channel, updated_at) VALUES (:n, "
                     "'100000' || :n, '2026-08', :v, 1000 * :v, '2026-09-01', 'DAMANCOM', :at)"),
    "titles": ("INSERT OR REPLACE INTO titles (title_id, affiliation_no, issued_on, amount_centimes, status, "
               "updated_at) VALUES ('T' || :n, '100000' || :n, '2026-09-01', 100 * :v, 'ISSUED', :at)"),
    "receivables": ("INSERT OR REPLACE INTO receivables (receivable_id, affiliation_no, period, kind, basis, "
                    "amount_centimes, established_on, updated_at) VALUES (:n, '100000' || :n, '2026-08', "
                    "'PRINCIPAL', 'CONTRIBUTIONS', 100 * :v, '2026-09-10', :at)"),
    "ledger_payments": ("INSERT OR REPLACE INTO ledger_payments (payment_id, receipt_no, affiliation_no, "
                        "payment_date, amount_centimes, settles_period, kind, channel, recorded_at, "
                        "updated_at) VALUES (:n, 'R' || :n, '100000' || :n, '2026-10-01', 100 * :v, "
                        "'2026-08', 'PAYMENT', 'CHEQUE', '2026-10-01 09:00:00', :at)"),
    "payment_plans": ("INSERT OR REPLACE INTO payment_plans (plan_id, affiliation_no, signed_on, "
                      "installments, total_centimes, status, updated_at) VALUES ('P' || :n, "
                      "'100000' || :n, '2026-09-01', 2, 100 * :v, 'ACTIVE', :at)"),
    "plan_installments": ("INSERT OR REPLACE INTO plan_installments (plan_id, seq, due_date, "
                          "amount_centimes, updated_at) VALUES ('P1', :n, '2026-10-01', 100 * :v, :at)"),
    "legal_proceedings": ("INSERT OR REPLACE INTO legal_proceedings (proceeding_id, affiliation_no, kind, "
                          "opened_on, updated_at) VALUES ('L' || :n, '100000' || :n, 'FORCED_RECOVERY', "
                          "'2026-09-01', :at)"),
    "disputes": ("INSERT OR REPLACE INTO disputes (dispute_id, affiliation_no, period, opened_on, status, "
                 "updated_at) VALUES ('D' || :n, '100000' || :n, '2026-08', '2026-09-01', 'OPEN', :at)"),
}


def _deliver(con: sqlite3.Connection, keys: dict[int, int], at: str) -> None:
    """The source changes the rows of these key numbers (to these values) in every table at ``at``."""
    for n, v in keys.items():
        for sql in _EVERY_TABLE.values():
            con.execute(sql, {"n": n, "v": v, "at": at})
    con.commit()


def _duplicate_keys(wh: Warehouse) -> dict[str, list[tuple[object, ...]]]:
    """Per staging table, the source keys held by more than one row (none: staging has no key constraint,
    the merge keeps one row per key)."""
    out = {}
    for table, keys in TABLES.items():
        cols = ", ".join(keys)
        out[table] = wh.query(f"SELECT {cols}, count(*) FROM staging.{table} GROUP BY {cols} "
                              "HAVING count(*) > 1")
    return {t: rows for t, rows in out.items() if rows}


def test_every_staging_table_holds_one_row_per_source_key_after_merges_and_re_runs(tmp_path: Path) -> None:
    con = sqlite3.connect(tmp_path / "source.db")
    con.executescript(DDL.read_text(encoding="utf-8"))
    url, lake = f"sqlite:///{tmp_path / 'source.db'}", tmp_path / "lake"
    # Day 1: keys 1 and 2. Day 2: key 2 again (changed) and key 3. Day 3: keys 1 and 3 again.
    days = [(dt.date(2026, 11, 1), {1: 11, 2: 12}, "2026-10-01 09:00:00"),
            (dt.date(2026, 11, 2), {2: 22, 3: 23}, "2026-11-01 10:00:00"),
            (dt.date(2026, 11, 3), {1: 31, 3: 33}, "2026-11-02 10:00:00")]
    with connect(f"duckdb:///{tmp_path / 'wh.duckdb'}") as wh:
        migrate_connection(wh)
        for day, keys, at in days:
            _deliver(con, keys, at)
            _publish(url, lake, day, f"r-{day.isoformat()}")
            assert load_staging(wh, lake) == {t: len(keys) for t in TABLES}
            assert _duplicate_keys(wh) == {}, day
        latest = _state(wh)
        assert {t: len(latest[t]) for t in TABLES} == dict.fromkeys(TABLES, 3)
        assert wh.query("SELECT receivable_id, amount_centimes, snapshot_date FROM staging.receivables "
                        "ORDER BY 1") == [(1, 3100, dt.date(2026, 11, 3)), (2, 2200, dt.date(2026, 11, 2)),
                                          (3, 3300, dt.date(2026, 11, 3))]
        # A re-run: day 2 re-published by another run, so days 2 and 3 are merged again on top of what
        # they already delivered; then a run with nothing new.
        m = _manifest(lake, "plan_installments", "2026-11-02")
        m.write_text(json.dumps({**json.loads(m.read_text()), "run_id": "r-again"}))
        assert load_staging(wh, lake) == {"plan_installments": 4}
        assert load_staging(wh, lake) == {}
        assert _duplicate_keys(wh) == {}
        again = _state(wh)
        assert {t: again[t] for t in TABLES} == {t: latest[t] for t in TABLES}

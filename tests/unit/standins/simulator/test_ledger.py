"""The fund's side of simulated payments (recouvra.standins.simulator.ledger): rows written once into the
source's ledger_payments, dates as text on SQLite like the generator's."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

from recouvra.standins.simulator.ledger import write_ledger
from recouvra.standins.simulator.model import LEDGER_ID_BASE, LedgerRow

DDL = Path(__file__).resolve().parents[4] / "include" / "sql" / "source" / "create_source_tables.sql"


def _row(n: int, centimes: int, reverses: int | None = None) -> LedgerRow:
    return LedgerRow(LEDGER_ID_BASE + n, f"Q202611-S{n:015d}", "1000001", dt.date(2026, 11, 20), centimes,
                     "2026-08", "REVERSAL" if reverses else "PAYMENT", reverses, "CHEQUE",
                     dt.datetime(2026, 11, 21, 9, 30, 5))


def test_rows_are_written_once_with_sqlite_text_dates(tmp_path: Path) -> None:
    db = tmp_path / "source.db"
    con = sqlite3.connect(db)
    con.executescript(DDL.read_text(encoding="utf-8"))
    con.close()
    url = f"sqlite:///{db}"
    rows = [_row(1, 50_000), _row(501, -50_000, LEDGER_ID_BASE + 1)]
    assert write_ledger(url, []) == 0
    assert write_ledger(url, rows) == 2
    assert write_ledger(url, [*rows, _row(2, 700)]) == 1  # only the new one
    con = sqlite3.connect(db)
    try:
        got = con.execute("SELECT payment_id, receipt_no, payment_date, amount_centimes, kind, "
                          "reverses_payment_id, recorded_at, updated_at FROM ledger_payments "
                          "ORDER BY payment_id").fetchall()
    finally:
        con.close()
    assert got == [
        (LEDGER_ID_BASE + 1, "Q202611-S000000000000001", "2026-11-20", 50_000, "PAYMENT", None,
         "2026-11-21 09:30:05", "2026-11-21 09:30:05"),
        (LEDGER_ID_BASE + 2, "Q202611-S000000000000002", "2026-11-20", 700, "PAYMENT", None,
         "2026-11-21 09:30:05", "2026-11-21 09:30:05"),
        (LEDGER_ID_BASE + 501, "Q202611-S000000000000501", "2026-11-20", -50_000, "REVERSAL",
         LEDGER_ID_BASE + 1, "2026-11-21 09:30:05", "2026-11-21 09:30:05"),
    ]

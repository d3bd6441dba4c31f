"""Every column type comes out of extraction identical from SQLite and from PostgreSQL.

Three paths move the data column-wise (recouvra.extract): SQLite's DBAPI cursor (dates and timestamps
are text there, parsed by pyarrow.compute), PostgreSQL (the psycopg URL) through the ADBC driver's Arrow
record batches (libpq's binary COPY; NUMERIC arrives as an opaque extension type, INTEGER as int32, both
cast to the lake schema), and SQLAlchemy's streaming for any other driver (psycopg2 here). The same rows,
written with the same SQL literals into both engines, must give the same Arrow tables: strings (empty,
with separators, quotes and line breaks, the words NULL and NA), integers and centimes (beyond 2**53),
dates (before 1970, year 999), timestamps (fractional seconds) and a NULL of each type. Chunks of two
rows make every path cut and re-assemble its stream.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import sqlalchemy as sa

from recouvra.extract import extract_table
from recouvra.lake import TABLES, arrow_schema
from recouvra.sqlfiles import statements

pytestmark = pytest.mark.postgres
DAY, HIGH = dt.date(2026, 11, 1), dt.datetime(2026, 11, 1)

ROWS = {
    "employers": """
INSERT INTO employers (affiliation_no, legal_name, legal_form, ice, address, city, phone, email, status,
                       registered_on, ceased_on, updated_at) VALUES
('1000001', 'STE ATLAS, "TRANSPORT" SARL', '', NULL, 'Bd Zerktouni
2e étage; bureau 4', 'NULL', 'NA', 'a@b.ma', 'ACTIVE', '1966-11-03', NULL, '2026-10-01 09:00:00'),
('1000002', 'Ets Benali', 'SARL', '001234567000089', NULL, 'Fès', '', NULL, 'CEASED',
 '0999-01-01', '2026-02-28', '2026-10-31 23:59:59.000001'),
('1000003', 'Ben''Ali & fils', NULL, 'N/A', ',', ' ', '"', '\\', 'ACTIVE', '2015-03-01', NULL, NULL),
('1000004', 'Old', NULL, NULL, NULL, NULL, NULL, NULL, 'ACTIVE', '1901-12-31', NULL,
 '1969-12-31 23:59:59.5')""",
    "receivables": """
INSERT INTO receivables (receivable_id, affiliation_no, period, kind, basis, amount_centimes,
                         established_on, title_id, updated_at) VALUES
(1, '1000001', '2026-08', 'PRINCIPAL', 'CONTRIBUTIONS', 9007199254740993, '2026-09-10', NULL,
 '2026-10-01 09:00:00'),
(2, '1000001', '2026-08', 'SURCHARGE', 'LATE_PAYMENT', -37037, '2026-09-10', 'T-1', NULL),
(9223372036854775807, '1000002', '2026-09', 'PRINCIPAL', 'CONTRIBUTIONS', 0, '2026-10-31', '',
 '2026-10-31 12:34:56.789012')""",
    "ledger_payments": """
INSERT INTO ledger_payments (payment_id, receipt_no, affiliation_no, payment_date, amount_centimes,
                             settles_period, kind, reverses_payment_id, channel, payment_ref, recorded_at,
                             updated_at) VALUES
(10, 'R-10', '1000001', '2026-10-02', 1234567, '2026-08', 'PAYMENT', NULL, 'BANK_TRANSFER',
 'RF18 1000 0010', '2026-10-02 08:00:00', '2026-10-02 08:00:00'),
(11, 'R-11', '1000001', '2026-10-03', -1234567, '2026-08', 'REVERSAL', 10, 'CHEQUE', NULL,
 '2026-10-03 08:00:00.25', NULL),
(12, 'R-12', '1000003', '2026-10-04', 5, '2026-09', 'PAYMENT', -1, 'ONLINE', '',
 '2026-10-04 00:00:00', '2026-10-04 00:00:00')""",
}


def _load(url: str) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        for stmt in statements("source/create_source_tables"):
            conn.execute(sa.text(stmt))
        for sql in ROWS.values():
            conn.exec_driver_sql(sql)
    engine.dispose()


def _extract(url: str, lake: Path) -> dict[str, pa.Table]:
    out = {}
    for table in TABLES:
        snap = extract_table(url, lake, table, DAY, HIGH, "r1", chunk_rows=2)
        data = pq.read_table(Path(snap.path) / snap.files[0])
        assert data.schema.equals(arrow_schema(table))
        out[table] = data.sort_by([(k, "ascending") for k in TABLES[table]])  # NULLs sort apart
    return out


def test_each_column_type_comes_out_identical_from_sqlite_and_postgresql(pg_url: str, tmp_path: Path) -> None:
    sqlite_url = f"sqlite:///{tmp_path / 'source.db'}"
    _load(sqlite_url)
    _load(pg_url)
    from_sqlite = _extract(sqlite_url, tmp_path / "lake-sqlite")
    from_copy = _extract(pg_url, tmp_path / "lake-pg")  # postgresql+psycopg: COPY and pyarrow.csv
    from_stream = _extract(pg_url.replace("+psycopg:", "+psycopg2:"), tmp_path / "lake-pg2")
    for table in TABLES:
        assert from_copy[table].equals(from_sqlite[table]), table
        assert from_stream[table].equals(from_sqlite[table]), table
    employers = {r["affiliation_no"]: r for r in from_sqlite["employers"].to_pylist()}
    assert employers["1000001"]["legal_form"] == "" and employers["1000001"]["ice"] is None
    assert employers["1000001"]["address"] == "Bd Zerktouni\n2e étage; bureau 4"
    assert employers["1000001"]["city"] == "NULL" and employers["1000001"]["phone"] == "NA"
    assert employers["1000002"]["registered_on"] == dt.date(999, 1, 1)
    assert employers["1000002"]["updated_at"] == dt.datetime(2026, 10, 31, 23, 59, 59, 1)
    assert employers["1000003"]["updated_at"] is None and employers["1000003"]["email"] == "\\"
    assert employers["1000004"]["updated_at"] == dt.datetime(1969, 12, 31, 23, 59, 59, 500000)
    receivables = from_sqlite["receivables"].to_pylist()
    assert [r["amount_centimes"] for r in receivables] == [9007199254740993, -37037, 0]
    assert [r["title_id"] for r in receivables] == [None, "T-1", ""]
    payments = from_sqlite["ledger_payments"].to_pylist()
    assert [p["reverses_payment_id"] for p in payments] == [None, 10, -1]
    assert payments[1]["recorded_at"] == dt.datetime(2026, 10, 3, 8, 0, 0, 250000)

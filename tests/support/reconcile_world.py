"""The reconciliation world the tests share: three dossiers of November 2026 (two agencies, a recall,
a debtor with two affiliation numbers), the agency payments reported against them, and the fund's ledger
rows (payments, reversals, one before the window, one on a month not assigned) in a lake.

A plain module, not a test file: tests/support is on pytest's ``pythonpath`` (pyproject.toml), so any
test imports it by name (``import reconcile_world as world``). test_reconcile.py tests the
reconciliation on it; the ledger, owed, commission, integrity, KPI, recovered-by-kind and additions tests
and tests/integration/test_reconcile_postgres.py reuse it."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import duckdb

from recouvra.commission import compute_statements
from recouvra.ledger import load_ledger
from recouvra.reconcile import reconcile
from recouvra.warehouse import Warehouse

D = Decimal
JAN, FEB, MAR = dt.date(2026, 1, 1), dt.date(2026, 2, 1), dt.date(2026, 3, 1)
NOV = dt.date(2026, 11, 1)
END = dt.date(2027, 4, 30)
ON = dt.date(2027, 2, 28)
D1, D2, D3 = "D202611-000001", "D202611-000002", "D202611-000003"


def day(y: int, m: int, d: int) -> dt.date:
    return dt.date(y, m, d)


# ------------------------------------------------------------------------------------------ the world
def add_dossier(
    wh: Warehouse, dossier_id: str, debtor_id: int, agency: str, periods: dict[dt.date, str], *,
    rate: str = "0.0300", cap: str = "30000.00", status: str = "PUBLISHED", start: dt.date = NOV,
    end: dt.date = END, month: dt.date = NOV,
) -> None:
    """A dossier of ``month`` (November 2026) whose months are all PRINCIPAL (one detail row per month)."""
    for period, amount in periods.items():
        wh.execute("INSERT INTO core.dossier_period VALUES (?, ?, 'PRINCIPAL', ?, NULL)",
                   [dossier_id, period, D(amount)])
    total = sum((D(a) for a in periods.values()), D("0"))
    months = sorted(periods)
    wh.execute(
        "INSERT INTO core.dossier VALUES (?, ?, ?, ?, ?, 'FRESH', NULL, ?, ?, ?, ?, ?, ?, ?, ?, 0, 0, "
        "?, ?, ?, ?, NULL, 1, NULL, NULL, NULL, NULL)",
        [dossier_id, month, debtor_id, f"{debtor_id:07d}", agency, start, end, D(rate), D(cap), len(months),
         months[0], months[-1], total, total, status, start, dt.datetime(2026, 10, 25, 6)],
    )


BRIDGED = dt.date(2026, 6, 1)


def add_bridge(wh: Warehouse, affiliation_no: str, debtor_id: int, valid_from: dt.date = BRIDGED) -> None:
    wh.execute("INSERT INTO core.bridge_affiliation_debtor VALUES (?, ?, NULL, true, ?, 'SINGLETON', NULL)",
               [affiliation_no, valid_from, debtor_id])


def add_agency_payment(
    wh: Warehouse, agency: str, payment_id: str, dossier_id: str, on: dt.date, amount: str,
    receipt_ref: str | None = None, line_no: int = 2,
) -> None:
    wh.execute("INSERT INTO core.agency_payment VALUES (?, ?, ?, ?, ?, 'CHEQUE', ?, 1, ?)",
               [agency, payment_id, dossier_id, on, D(amount), receipt_ref, line_no])


#: (payment_id, receipt_no, affiliation_no, payment_date, centimes, settles_period, kind, reverses)
LEDGER: list[tuple[object, ...]] = [
    (101, "R101", "0000001", day(2026, 11, 10), 40000, "2026-01", "PAYMENT", None),
    (102, "R102", "0000011", day(2026, 11, 20), 80000, "2026-01", "PAYMENT", None),  # other number
    (103, "R103", "0000001", day(2026, 10, 31), 10000, "2026-02", "PAYMENT", None),  # before the window
    (104, "R104", "0000001", day(2026, 12, 2), 50000, "2026-02", "PAYMENT", None),
    (105, "R105", "0000001", day(2026, 12, 20), -40000, "2026-01", "REVERSAL", 101),
    (201, "R201", "0000002", day(2026, 12, 15), 200000, "2026-01", "PAYMENT", None),  # on the recall date
    (202, "R202", "0000002", day(2026, 12, 16), 5000, "2026-01", "PAYMENT", None),  # after the recall
    (301, "R301", "0000003", day(2027, 1, 5), 30000, "2026-03", "PAYMENT", None),
    (302, "R302", "0000003", day(2027, 2, 10), -30000, "2026-03", "REVERSAL", 301),
    (303, "R303", "0000003", day(2027, 1, 6), 1234, "2026-07", "PAYMENT", None),  # month not assigned
]


def lake_with(rows: list[tuple[object, ...]]) -> duckdb.DuckDBPyConnection:
    """A lake connection whose view ledger_payments holds ``rows`` (recorded on their payment date); a
    row's optional ninth value is the payment reference the payer quoted."""
    con = duckdb.connect()
    con.execute(
        "CREATE TABLE ledger_payments (payment_id BIGINT, receipt_no VARCHAR, affiliation_no VARCHAR, "
        "payment_date DATE, amount_centimes BIGINT, settles_period VARCHAR, kind VARCHAR, "
        "reverses_payment_id BIGINT, channel VARCHAR, recorded_at TIMESTAMP, updated_at TIMESTAMP, "
        "payment_ref VARCHAR)"
    )
    for r in rows:
        at = dt.datetime.combine(r[3], dt.time(12))  # type: ignore[arg-type]
        con.execute("INSERT INTO ledger_payments VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'CHEQUE', ?, ?, ?)",
                    [*r[:8], at, at, r[8] if len(r) > 8 else None])
    return con


def build_world(wh: Warehouse) -> None:
    """Three dossiers (two agencies), a recall, a debtor with two affiliation numbers, agency payments."""
    add_bridge(wh, "0000001", 1)
    add_bridge(wh, "0000011", 1)
    add_bridge(wh, "0000002", 2)
    add_bridge(wh, "0000003", 3)
    add_dossier(wh, D1, 1, "AG01", {JAN: "1000.00", FEB: "500.00"})
    add_dossier(wh, D2, 2, "AG01", {JAN: "2000.00"}, status="RECALLED")
    add_dossier(wh, D3, 3, "AG02", {MAR: "300.00"}, rate="0.0500", cap="10.00")
    wh.execute("INSERT INTO core.dossier_recall VALUES (?, ?, 'PAID_IN_FULL', 0.00, ?, NULL, ?)",
               [D2, day(2026, 12, 15), dt.datetime(2026, 12, 15, 20), day(2026, 12, 15)])
    add_agency_payment(wh, "AG01", "P1", D1, day(2026, 11, 9), "400.00", "R101")  # receipt, 1 day apart
    add_agency_payment(wh, "AG01", "P2", D1, day(2026, 12, 7), "500.00")  # debtor/amount, 5 days
    add_agency_payment(wh, "AG01", "P3", D1, day(2026, 12, 8), "500.00")  # 104 taken (and 6 days)
    add_agency_payment(wh, "AG01", "P4", D2, day(2026, 12, 15), "2000.00", "NOPE")  # wrong receipt: fallback
    add_agency_payment(wh, "AG02", "Q1", D3, day(2027, 1, 11), "300.00")  # 6 days: unconfirmed


def run_world(wh: Warehouse) -> None:
    """Load the ledger, reconcile and compute statements November 2026 to February 2027."""
    build_world(wh)
    with lake_with(LEDGER) as lake:
        # Loaded as the runs would have: each day takes what was recorded by its end (first_seen_on).
        for seen in (day(2026, 11, 30), day(2026, 12, 15), day(2026, 12, 31), day(2027, 1, 31), ON):
            load_ledger(wh, lake, seen)
    reconcile(wh, ON)
    for m in (NOV, day(2026, 12, 1), day(2027, 1, 1), day(2027, 2, 1)):
        compute_statements(wh, m)


D9 = "D202611-000009"


def late_payment_months(wh: Warehouse, first: str, late: str) -> dict[str, object]:
    """Dossier D9 (AG03, January 2026 owing 1,000 principal and 500 surcharges): a payment of ``first``
    dated 20 November is attributed and November's statement sent; then the fund records a payment of
    ``late`` dated 15 November, first seen 2 December; December is reconciled and its statement computed.
    Returns what the tests compare: the attribution rows (entry, month, amount, kinds), November's
    statement when sent and now, December's (attributed, principal, surcharges), the integrity audit of
    December, and both attribution tables before and after two runs again (incremental, full)."""
    from recouvra.integrity import check_integrity

    dec = day(2026, 12, 1)
    add_bridge(wh, "0000009", 9)
    add_dossier(wh, D9, 9, "AG03", {JAN: "1000.00"})
    wh.execute("INSERT INTO core.dossier_period VALUES (?, ?, 'SURCHARGE', ?, NULL)", [D9, JAN, D("500.00")])
    wh.execute("UPDATE core.dossier SET surcharges_due = 500.00, total_due = 1500.00 WHERE dossier_id = ?",
               [D9])
    paid = (901, "R901", "0000009", day(2026, 11, 20), int(D(first) * 100), "2026-01", "PAYMENT", None)
    with lake_with([paid]) as lake:
        load_ledger(wh, lake, day(2026, 11, 30))
    reconcile(wh, day(2026, 11, 30))
    compute_statements(wh, NOV)
    wh.execute("UPDATE core.commission_statement SET file_name = 'CNSS_COMMISSION_AG03_202611.csv'")
    sent_then = wh.query("SELECT * FROM core.commission_statement")
    recorded_late = (900, "R900", "0000009", day(2026, 11, 15), int(D(late) * 100), "2026-01", "PAYMENT",
                     None)
    with lake_with([paid, recorded_late]) as lake:
        load_ledger(wh, lake, day(2026, 12, 2))
    reconcile(wh, day(2026, 12, 31))
    compute_statements(wh, dec)
    kinds: dict[tuple[int, dt.date], list[tuple[str, str]]] = {}
    for lid, month, kind, amount in wh.query("SELECT ledger_payment_id, attribution_month, kind, amount "
                                             "FROM core.attribution_kind ORDER BY 1, 2, 3"):
        kinds.setdefault((lid, month), []).append((kind, f"{amount:.2f}"))
    rows = [(lid, month, f"{amount:.2f}", tuple(kinds.get((lid, month), [])))
            for lid, month, amount in wh.query("SELECT ledger_payment_id, attribution_month, amount "
                                               "FROM core.attribution ORDER BY 1, 2")]
    december = [tuple(f"{v:.2f}" for v in r) for r in wh.query(
        "SELECT attributed_amount, principal_recovered, surcharges_recovered FROM core.commission_statement "
        "WHERE statement_month = ?", [dec])]
    tables = {t: wh.query(f"SELECT * FROM core.{t} ORDER BY 1, 2, 3, 4")
              for t in ("attribution", "attribution_kind")}
    violations = check_integrity(wh, dec)
    reconcile(wh, day(2026, 12, 31))
    reconcile(wh, day(2026, 12, 31), full=True)
    return {"rows": rows, "sent_then": sent_then, "december": december, "violations": violations,
            "sent_now": wh.query("SELECT * FROM core.commission_statement WHERE statement_month = ?", [NOV]),
            "tables": tables,
            "again": {t: wh.query(f"SELECT * FROM core.{t} ORDER BY 1, 2, 3, 4") for t in tables}}


def snapshot(wh: Warehouse) -> dict[str, list[tuple[object, ...]]]:
    """The reconciliation tables as plain values (for comparing runs and engines)."""
    return {
        "ledger": wh.query("SELECT ledger_payment_id, debtor_id, payment_date, amount, kind, "
                           "reverses_payment_id, settles_period, first_seen_on "
                           "FROM core.ledger_payment ORDER BY 1"),
        "match": wh.query("SELECT agency_code, payment_id, ledger_payment_id, match_rule, day_gap "
                          "FROM core.payment_match ORDER BY 1, 2"),
        "attribution": wh.query("SELECT ledger_payment_id, dossier_id, agency_code, amount, payment_date, "
                                "settles_period, attribution_month FROM core.attribution ORDER BY 2, 5, 1"),
        "kind": wh.query("SELECT ledger_payment_id, dossier_id, kind, amount, payment_date "
                         "FROM core.attribution_kind ORDER BY 2, 5, 1, 3"),
        "statement": wh.query("SELECT statement_month, dossier_id, agency_code, attributed_amount, "
                              "commission_rate, commission_cap, commission_before_cap, "
                              "commission_paid_to_date, commission_this_month, cap_reached, "
                              "principal_recovered, surcharges_recovered, penalties_recovered "
                              "FROM core.commission_statement ORDER BY 1, 2"),
    }

"""KPI marts on embedded DuckDB from a small hand-built core, every number checked by hand.

The story (agencies AG01 and AG02, dossiers placed in January and February 2026):

- D1 (AG01, FRESH, Casablanca-Settat, 1,000.00, window from 5 Jan): right-party contact on 10 Jan,
  a phone found and applied, a promise of 300.00 by 18 Jan kept by a 300.00 payment on 20 Jan
  (statement Jan); 200.00 paid on 25 Feb (statement Feb), reversed on 10 Mar (statement Mar); a
  second promise of 500.00 by 10 Mar not kept.
- D2 (AG01, FRESH, Casablanca-Settat, 2,000.00): no answer, a plan requested but never signed,
  recalled on 20 Feb with 2,000.00 open.
- D3 (AG02, UNPAID_TITLE, region unknown, 500.00): assets found (action and ASSET record), paid in
  full on 8 Feb (statement Feb), closed by the fund on 10 Feb.
- D4 (AG02, FRESH, Casablanca-Settat, 3,000.00, window from 2 Feb): a promise of 1,000.00 by 20 Feb
  not kept, an address found (pending), a 2-instalment plan of 2,000.00 signed, first due 1 Mar,
  1,000.00 paid on 5 Mar (statement Mar): the plan is kept.
Commission 3 %: statements Jan (D1 9.00), Feb (D1 15.00 = +6.00, D3 15.00), Mar (D1 9.00 = -6.00,
D3 15.00, D4 30.00).
"""

# Hand-built rows and expected tables read best one row per line.
# ruff: noqa: E501
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from recouvra.kpi import KpiError, load_kpi_months, load_kpis, month_end, rate
from recouvra.warehouse import Warehouse, connect, migrate_connection

JAN, FEB, MAR = dt.date(2026, 1, 1), dt.date(2026, 2, 1), dt.date(2026, 3, 1)
NOW = dt.datetime(2026, 4, 2, 6, 0)
D = Decimal

SEED = """
INSERT INTO core.dossier (dossier_id, assignment_month, debtor_id, affiliation_no, agency_code, segment,
    region, assignment_start, assignment_end, commission_rate, commission_cap, periods_count,
    oldest_period, newest_period, principal_due, surcharges_due, penalties_due, total_due, status,
    status_date, created_at) VALUES
 ('D202601-000001', DATE '2026-01-01', 1, '1000001', 'AG01', 'FRESH', 'Casablanca-Settat',
  DATE '2026-01-05', DATE '2026-12-31', 0.0300, 30000.00, 3, DATE '2025-09-01', DATE '2025-11-01',
  800.00, 150.00, 50.00, 1000.00, 'PUBLISHED', DATE '2026-01-05', TIMESTAMP '2026-01-01 06:00:00'),
 ('D202601-000002', DATE '2026-01-01', 2, '1000002', 'AG01', 'FRESH', 'Casablanca-Settat',
  DATE '2026-01-05', DATE '2026-12-31', 0.0300, 30000.00, 2, DATE '2025-10-01', DATE '2025-11-01',
  2000.00, 0.00, 0.00, 2000.00, 'RECALLED', DATE '2026-02-20', TIMESTAMP '2026-01-01 06:00:00'),
 ('D202601-000003', DATE '2026-01-01', 3, '1000003', 'AG02', 'UNPAID_TITLE', NULL,
  DATE '2026-01-05', DATE '2026-12-31', 0.0300, 30000.00, 1, DATE '2024-01-01', DATE '2024-01-01',
  500.00, 0.00, 0.00, 500.00, 'CLOSED', DATE '2026-02-10', TIMESTAMP '2026-01-01 06:00:00'),
 ('D202602-000004', DATE '2026-02-01', 4, '1000004', 'AG02', 'FRESH', 'Casablanca-Settat',
  DATE '2026-02-02', DATE '2027-01-31', 0.0300, 30000.00, 2, DATE '2025-11-01', DATE '2025-12-01',
  3000.00, 0.00, 0.00, 3000.00, 'PUBLISHED', DATE '2026-02-02', TIMESTAMP '2026-02-01 06:00:00');

INSERT INTO core.dossier_recall (dossier_id, recall_date, reason, recalled_amount, decided_at) VALUES
 ('D202601-000002', DATE '2026-02-20', 'FUND_DECISION', 2000.00, TIMESTAMP '2026-02-19 10:00:00');

INSERT INTO core.attribution (ledger_payment_id, dossier_id, agency_code, amount, payment_date,
    settles_period, attribution_month, attributed_at) VALUES
 (1, 'D202601-000001', 'AG01', 300.00, DATE '2026-01-20', DATE '2025-09-01', DATE '2026-01-01', TIMESTAMP '2026-01-31 20:00:00'),
 (2, 'D202601-000001', 'AG01', 200.00, DATE '2026-02-25', DATE '2025-10-01', DATE '2026-02-01', TIMESTAMP '2026-02-28 20:00:00'),
 (3, 'D202601-000001', 'AG01', -200.00, DATE '2026-03-10', DATE '2025-10-01', DATE '2026-03-01', TIMESTAMP '2026-03-31 20:00:00'),
 (4, 'D202601-000003', 'AG02', 500.00, DATE '2026-02-08', DATE '2024-01-01', DATE '2026-02-01', TIMESTAMP '2026-02-28 20:00:00'),
 (5, 'D202602-000004', 'AG02', 1000.00, DATE '2026-03-05', DATE '2025-11-01', DATE '2026-03-01', TIMESTAMP '2026-03-31 20:00:00');

INSERT INTO core.commission_statement (statement_month, dossier_id, agency_code, attributed_amount,
    commission_rate, commission_cap, commission_before_cap, commission_paid_to_date,
    commission_this_month, cap_reached, computed_at) VALUES
 (DATE '2026-01-01', 'D202601-000001', 'AG01', 300.00, 0.0300, 30000.00, 9.00, 9.00, 9.00, false, TIMESTAMP '2026-02-01 05:00:00'),
 (DATE '2026-02-01', 'D202601-000001', 'AG01', 500.00, 0.0300, 30000.00, 15.00, 15.00, 6.00, false, TIMESTAMP '2026-03-01 05:00:00'),
 (DATE '2026-02-01', 'D202601-000003', 'AG02', 500.00, 0.0300, 30000.00, 15.00, 15.00, 15.00, false, TIMESTAMP '2026-03-01 05:00:00'),
 (DATE '2026-03-01', 'D202601-000001', 'AG01', 300.00, 0.0300, 30000.00, 9.00, 9.00, -6.00, false, TIMESTAMP '2026-04-01 05:00:00'),
 (DATE '2026-03-01', 'D202601-000003', 'AG02', 500.00, 0.0300, 30000.00, 15.00, 15.00, 0.00, false, TIMESTAMP '2026-04-01 05:00:00'),
 (DATE '2026-03-01', 'D202602-000004', 'AG02', 1000.00, 0.0300, 30000.00, 30.00, 30.00, 30.00, false, TIMESTAMP '2026-04-01 05:00:00');

INSERT INTO core.agency_action (agency_code, action_id, dossier_id, action_date, action_type, outcome,
    promise_amount, promise_date, comment, return_file_id, line_no) VALUES
 ('AG01', 'A1', 'D202601-000001', DATE '2026-01-10', 'CALL', 'RIGHT_PARTY_CONTACT', NULL, NULL, NULL, 1, 2),
 ('AG01', 'A2', 'D202601-000001', DATE '2026-01-12', 'CALL', 'PROMISE_TO_PAY', 300.00, DATE '2026-01-18', NULL, 1, 3),
 ('AG01', 'A3', 'D202601-000002', DATE '2026-01-15', 'CALL', 'NO_ANSWER', NULL, NULL, NULL, 1, 4),
 ('AG02', 'A4', 'D202601-000003', DATE '2026-01-20', 'VISIT', 'ASSETS_FOUND', NULL, NULL, NULL, 2, 2),
 ('AG02', 'A5', 'D202602-000004', DATE '2026-02-10', 'CALL', 'PROMISE_TO_PAY', 1000.00, DATE '2026-02-20', NULL, 2, 3),
 ('AG01', 'A6', 'D202601-000001', DATE '2026-02-26', 'CALL', 'PROMISE_TO_PAY', 500.00, DATE '2026-03-10', NULL, 1, 5);

INSERT INTO core.agency_contact_update (agency_code, update_id, dossier_id, debtor_id, field, value,
    value_normalised, observed_date, evidence, apply_status, applied_at, return_file_id, line_no) VALUES
 ('AG01', 'C1', 'D202601-000001', 1, 'PHONE', '0612345678', '+212612345678', DATE '2026-01-11', NULL, 'APPLIED', TIMESTAMP '2026-01-12 07:00:00', 3, 2),
 ('AG02', 'C2', 'D202602-000004', 4, 'ADDRESS', '12 rue X', '12 rue X', DATE '2026-02-15', NULL, 'PENDING', NULL, 4, 2),
 ('AG02', 'C3', 'D202601-000003', 3, 'ASSET', 'Land title 123', 'Land title 123', DATE '2026-01-22', NULL, 'NOT_APPLICABLE', NULL, 4, 3);

INSERT INTO core.return_file (return_file_id, agency_code, file_name, file_type, file_date, seq, sha256,
    size_bytes, received_at, processed_at, status, rows_received, rows_accepted, rows_rejected,
    rows_duplicate, ack_file_name) VALUES
 (10, 'AG01', 'AG01_PLANS_20260117_01.csv', 'PLANS', DATE '2026-01-17', 1, 'a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0', 100, TIMESTAMP '2026-01-17 08:00:00', TIMESTAMP '2026-01-17 08:01:00', 'ACCEPTED', 1, 1, 0, 0, 'AG01_PLANS_20260117_01.ack.json'),
 (11, 'AG02', 'AG02_PLANS_20260213_01.csv', 'PLANS', DATE '2026-02-13', 1, 'b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0', 100, TIMESTAMP '2026-02-13 08:00:00', TIMESTAMP '2026-02-13 08:01:00', 'ACCEPTED', 1, 1, 0, 0, 'AG02_PLANS_20260213_01.ack.json'),
 (12, 'AG02', 'AG02_PLANS_20260220_01.csv', 'PLANS', DATE '2026-02-20', 1, 'c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0', 100, TIMESTAMP '2026-02-20 08:00:00', TIMESTAMP '2026-02-20 08:01:00', 'ACCEPTED', 1, 1, 0, 0, 'AG02_PLANS_20260220_01.ack.json');

INSERT INTO core.agency_plan (agency_code, plan_id, status, dossier_id, request_date, installments,
    first_due_date, total_amount, return_file_id, line_no) VALUES
 ('AG01', 'P1', 'REQUESTED', 'D202601-000002', DATE '2026-01-16', 4, DATE '2026-02-01', 2000.00, 10, 2),
 ('AG02', 'P2', 'REQUESTED', 'D202602-000004', DATE '2026-02-12', 2, DATE '2026-03-01', 2000.00, 11, 2),
 ('AG02', 'P2', 'SIGNED', 'D202602-000004', DATE '2026-02-12', 2, DATE '2026-03-01', 2000.00, 12, 2);

INSERT INTO core.agency_payment (agency_code, payment_id, dossier_id, payment_date, amount, channel,
    receipt_ref, return_file_id, line_no) VALUES
 ('AG01', 'PAY1', 'D202601-000001', DATE '2026-02-25', 200.00, 'BANK_TRANSFER', 'R2', 5, 2),
 ('AG01', 'PAY2', 'D202601-000001', DATE '2026-02-27', 50.00, 'CHEQUE', NULL, 5, 3);

INSERT INTO core.payment_match (agency_code, payment_id, ledger_payment_id, match_rule, day_gap, matched_at) VALUES
 ('AG01', 'PAY1', 2, 'RECEIPT_REF', 0, TIMESTAMP '2026-02-28 20:00:00');

INSERT INTO core.selection_decision (selection_month, debtor_id, decision, reason_code, segment, region,
    total_due, periods_count, score, priority_rank, decided_at) VALUES
 (DATE '2026-01-01', 1, 'SELECTED', 'TOP_SCORE', 'FRESH', 'Casablanca-Settat', 1000.00, 3, 10.0, 1, TIMESTAMP '2026-01-01 05:00:00'),
 (DATE '2026-01-01', 2, 'SELECTED', 'TOP_SCORE', 'FRESH', 'Casablanca-Settat', 2000.00, 2, 9.0, 2, TIMESTAMP '2026-01-01 05:00:00'),
 (DATE '2026-01-01', 3, 'SELECTED', 'TOP_SCORE', 'UNPAID_TITLE', NULL, 500.00, 1, 8.0, 3, TIMESTAMP '2026-01-01 05:00:00'),
 (DATE '2026-01-01', 5, 'NOT_SELECTED', 'QUOTA', 'FRESH', 'Casablanca-Settat', 4000.00, 4, 1.0, 4, TIMESTAMP '2026-01-01 05:00:00'),
 (DATE '2026-01-01', 6, 'EXCLUDED', 'LEGAL_PROCEEDING', NULL, NULL, 700.00, 1, NULL, NULL, TIMESTAMP '2026-01-01 05:00:00'),
 (DATE '2026-02-01', 4, 'SELECTED', 'TOP_SCORE', 'FRESH', 'Casablanca-Settat', 3000.00, 2, 10.0, 1, TIMESTAMP '2026-02-01 05:00:00'),
 (DATE '2026-02-01', 5, 'NOT_SELECTED', 'QUOTA', 'FRESH', 'Casablanca-Settat', 4000.00, 4, 1.0, 2, TIMESTAMP '2026-02-01 05:00:00');

INSERT INTO core.selection_score (selection_month, selection_seq, debtor_id, oldest_unpaid_age_months,
    payments_12m, broken_plans, reversals, activity_status, has_phone, has_email, has_address,
    title_days_left, weighted_due, likelihood, score_band) VALUES
 (DATE '2026-01-01', 1, 1, 4, 3, 0, 0, 'ACTIVE', true, true, true, NULL, 900.00, 0.400000, 1),
 (DATE '2026-01-01', 1, 2, 3, 0, 1, 0, 'ACTIVE', true, false, true, NULL, 2000.00, 0.150000, 2),
 (DATE '2026-01-01', 1, 3, 24, 0, 0, 0, 'CEASED', false, false, true, NULL, 500.00, 0.050000, 3);
"""

#: Every mart table and view a BI user reads, with the ordering that makes two engines comparable.
MART_QUERIES = {
    "fact_dossier_month": "SELECT * FROM marts.fact_dossier_month ORDER BY as_of_month, dossier_id",
    "kpi_recovery_vintage": "SELECT * FROM marts.kpi_recovery_vintage ORDER BY 1, 2, 3, 4, 5",
    "kpi_cohort_month": "SELECT * FROM marts.kpi_cohort_month ORDER BY 1, 2, 3, 4, 5",
    "kpi_cohort_outcome": "SELECT * FROM marts.kpi_cohort_outcome ORDER BY 1, 2, 3, 4",
    "kpi_agency_league": "SELECT * FROM marts.kpi_agency_league ORDER BY 1, 2",
    "kpi_agency_month": "SELECT * FROM marts.kpi_agency_month ORDER BY 1, 2",
    "kpi_portfolio_month": "SELECT * FROM marts.kpi_portfolio_month ORDER BY 1, 2, 3",
    "kpi_agency_effect": "SELECT * FROM marts.kpi_agency_effect ORDER BY 1, 2, 3, 4",
    "kpi_score_calibration": "SELECT * FROM marts.kpi_score_calibration ORDER BY 1, 2",
    "v_recovery_vintage": "SELECT * FROM marts.v_recovery_vintage ORDER BY 1, 2, 3, 4, 5",
    "v_cohort_outcome": "SELECT * FROM marts.v_cohort_outcome ORDER BY 1, 2, 3, 4, 5",
    "v_agency_league": "SELECT * FROM marts.v_agency_league ORDER BY 1, 2",
    "v_agency_month": "SELECT * FROM marts.v_agency_month ORDER BY 1, 2",
    "v_portfolio_coverage": "SELECT * FROM marts.v_portfolio_coverage ORDER BY 1, 2, 3",
    "v_agency_effect": "SELECT * FROM marts.v_agency_effect ORDER BY 1, 2, 3, 4",
    "v_score_calibration": "SELECT * FROM marts.v_score_calibration ORDER BY 1, 2",
    "v_recovery_tier": "SELECT * FROM marts.v_recovery_tier ORDER BY 1, 2, 3",
}


def seed(wh: Warehouse) -> None:
    """Migrate and load the hand-built core above (same SQL on DuckDB and PostgreSQL)."""
    migrate_connection(wh)
    with wh.transaction():
        wh.executescript(SEED)


def snapshot(wh: Warehouse) -> dict[str, list[tuple[object, ...]]]:
    return {name: wh.query(q) for name, q in MART_QUERIES.items()}


def as_dicts(wh: Warehouse, sql: str, params: list[object] | None = None) -> list[dict[str, object]]:
    """Rows of a ``SELECT *`` as dicts keyed by column name (the name list read from the catalogue)."""
    table = sql.split(" FROM ")[1].split()[0]
    schema, name = table.split(".")
    cols = [
        str(c)
        for (c,) in wh.query(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = ? AND table_name = ? "
            "ORDER BY ordinal_position",
            [schema, name],
        )
    ]
    return [dict(zip(cols, row, strict=True)) for row in wh.query(sql, params)]


@pytest.fixture()
def wh(tmp_path: Path):  # type: ignore[no-untyped-def]
    with connect(f"duckdb:///{(tmp_path / 'warehouse.duckdb').as_posix()}") as conn:
        seed(conn)
        yield conn


def pick(row: dict[str, object], *names: str) -> tuple[object, ...]:
    return tuple(row[n] for n in names)


# --- the arithmetic ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("num", "den", "expected"),
    [
        (D("500.00"), D("3000.00"), D("0.166667")),
        (1, 8, D("0.125000")),
        (D("1.00"), D("2000000"), D("0.000001")),
        (D("-6.00"), D("-200.00"), D("0.030000")),
        (0, 5, D("0.000000")),
        (3, 0, None),
        (None, 3, None),
        (1, None, None),
    ],
)
def test_rates_are_exact_and_round_half_up(num: object, den: object, expected: Decimal | None) -> None:
    assert rate(num, den) == expected


def test_month_end_and_month_checks(wh: Warehouse) -> None:
    assert month_end(dt.date(2024, 2, 1)) == dt.date(2024, 2, 29)
    assert month_end(dt.date(2026, 12, 1)) == dt.date(2026, 12, 31)
    with pytest.raises(KpiError, match="not the first day of a month"):
        load_kpis(wh, dt.date(2026, 2, 15))
    with pytest.raises(KpiError, match="before first month"):
        load_kpi_months(wh, MAR, JAN)


# --- each mart, by hand -----------------------------------------------------------------------------


def test_fact_dossier_month_positions_and_money_identity(wh: Warehouse) -> None:
    load_kpi_months(wh, JAN, MAR, computed_at=NOW)
    rows = as_dicts(wh, "SELECT * FROM marts.fact_dossier_month ORDER BY as_of_month, dossier_id")
    cols = (
        "as_of_month",
        "dossier_id",
        "region",
        "months_since_placement",
        "attributed_in_month",
        "attributed_to_date",
        "recalled_amount",
        "closed_amount",
        "open_amount",
        "commission_to_date",
    )
    assert [pick(r, *cols) for r in rows] == [
        (
            JAN,
            "D202601-000001",
            "Casablanca-Settat",
            0,
            D("300.00"),
            D("300.00"),
            D("0.00"),
            D("0.00"),
            D("700.00"),
            D("9.00"),
        ),
        (
            JAN,
            "D202601-000002",
            "Casablanca-Settat",
            0,
            D("0.00"),
            D("0.00"),
            D("0.00"),
            D("0.00"),
            D("2000.00"),
            D("0.00"),
        ),
        (
            JAN,
            "D202601-000003",
            "UNKNOWN",
            0,
            D("0.00"),
            D("0.00"),
            D("0.00"),
            D("0.00"),
            D("500.00"),
            D("0.00"),
        ),
        (
            FEB,
            "D202601-000001",
            "Casablanca-Settat",
            1,
            D("200.00"),
            D("500.00"),
            D("0.00"),
            D("0.00"),
            D("500.00"),
            D("15.00"),
        ),
        (
            FEB,
            "D202601-000002",
            "Casablanca-Settat",
            1,
            D("0.00"),
            D("0.00"),
            D("2000.00"),
            D("0.00"),
            D("0.00"),
            D("0.00"),
        ),
        (
            FEB,
            "D202601-000003",
            "UNKNOWN",
            1,
            D("500.00"),
            D("500.00"),
            D("0.00"),
            D("0.00"),
            D("0.00"),
            D("15.00"),
        ),
        (
            FEB,
            "D202602-000004",
            "Casablanca-Settat",
            0,
            D("0.00"),
            D("0.00"),
            D("0.00"),
            D("0.00"),
            D("3000.00"),
            D("0.00"),
        ),
        (
            MAR,
            "D202601-000001",
            "Casablanca-Settat",
            2,
            D("-200.00"),
            D("300.00"),
            D("0.00"),
            D("0.00"),
            D("700.00"),
            D("9.00"),
        ),
        (
            MAR,
            "D202601-000002",
            "Casablanca-Settat",
            2,
            D("0.00"),
            D("0.00"),
            D("2000.00"),
            D("0.00"),
            D("0.00"),
            D("0.00"),
        ),
        (
            MAR,
            "D202601-000003",
            "UNKNOWN",
            2,
            D("0.00"),
            D("500.00"),
            D("0.00"),
            D("0.00"),
            D("0.00"),
            D("15.00"),
        ),
        (
            MAR,
            "D202602-000004",
            "Casablanca-Settat",
            1,
            D("1000.00"),
            D("1000.00"),
            D("0.00"),
            D("0.00"),
            D("2000.00"),
            D("30.00"),
        ),
    ]
    for r in rows:
        assert r["assigned_amount"] == (
            r["attributed_to_date"]
            + r["open_amount"]
            + r["recalled_amount"]  # type: ignore[operator]
            + r["closed_amount"]
            + r["settled_other_amount"]
        )


def test_recovery_vintage_curves(wh: Warehouse) -> None:
    load_kpi_months(wh, JAN, MAR, computed_at=NOW)
    rows = wh.query(
        "SELECT agency_code, placement_month, segment, region, months_since_placement, dossiers_count, "
        "assigned_amount, recovered_amount, recovery_rate FROM marts.v_recovery_vintage ORDER BY 1, 2, 3, 4, 5"
    )
    casa = "Casablanca-Settat"
    assert rows == [
        ("AG01", JAN, "FRESH", casa, 0, 2, D("3000.00"), D("300.00"), D("0.100000")),
        ("AG01", JAN, "FRESH", casa, 1, 2, D("3000.00"), D("500.00"), D("0.166667")),
        ("AG01", JAN, "FRESH", casa, 2, 2, D("3000.00"), D("300.00"), D("0.100000")),  # after the reversal
        ("AG02", JAN, "UNPAID_TITLE", "UNKNOWN", 0, 1, D("500.00"), D("0.00"), D("0.000000")),
        ("AG02", JAN, "UNPAID_TITLE", "UNKNOWN", 1, 1, D("500.00"), D("500.00"), D("1.000000")),
        ("AG02", JAN, "UNPAID_TITLE", "UNKNOWN", 2, 1, D("500.00"), D("500.00"), D("1.000000")),
        ("AG02", FEB, "FRESH", casa, 0, 1, D("3000.00"), D("0.00"), D("0.000000")),
        ("AG02", FEB, "FRESH", casa, 1, 1, D("3000.00"), D("1000.00"), D("0.333333")),
    ]


COHORT_NUMBERS = (
    "agency_code",
    "placement_month",
    "dossiers_count",
    "assigned_amount",
    "recovered_30d",
    "recovery_rate_30d",
    "recovered_60d",
    "recovered_90d",
    "recovered_to_date",
    "recovery_rate",
    "dossiers_worked",
    "dossiers_right_party_contact",
    "right_party_contact_rate",
    "dossiers_committed",
    "promises_count",
    "promises_kept",
    "promise_kept_rate",
    "plans_requested",
    "plans_signed",
    "plan_activation_rate",
    "plans_started",
    "plans_kept",
    "plan_kept_rate",
    "dossiers_located",
    "located_rate",
    "dossiers_assets_found",
    "assets_found_rate",
    "dossiers_data_updated",
    "data_update_rate",
    "dossiers_paying",
    "dossiers_paid_in_full",
    "open_amount",
    "commission_to_date",
    "cost_to_collect",
)


def test_cohort_outcomes_at_the_end_of_february(wh: Warehouse) -> None:
    report = load_kpis(wh, FEB, computed_at=NOW)
    rows = as_dicts(wh, "SELECT * FROM marts.v_cohort_outcome WHERE as_of_month = ? ORDER BY 2, 3", [FEB])
    assert [pick(r, *COHORT_NUMBERS) for r in rows] == [
        # D1 + D2: 30 days passed (5 Jan + 30 = 4 Feb): 300 within them; 60 days not yet (6 Mar).
        # Worked 2 (D1, D2), reached 1 (D1); promise A2 kept, A6 not yet due; P1 requested only.
        (
            "AG01",
            JAN,
            2,
            D("3000.00"),
            D("300.00"),
            D("0.100000"),
            None,
            None,
            D("500.00"),
            D("0.166667"),
            2,
            1,
            D("0.500000"),
            2,
            1,
            1,
            D("1.000000"),
            1,
            0,
            D("0.000000"),
            0,
            0,
            None,
            1,
            D("0.500000"),
            0,
            D("0.000000"),
            1,
            D("0.500000"),
            1,
            0,
            D("500.00"),
            D("15.00"),
            D("0.030000"),
        ),
        # D3: paid on 8 Feb, after its 30 days; assets found; closed, so nothing open.
        (
            "AG02",
            JAN,
            1,
            D("500.00"),
            D("0.00"),
            D("0.000000"),
            None,
            None,
            D("500.00"),
            D("1.000000"),
            1,
            0,
            D("0.000000"),
            0,
            0,
            0,
            None,
            0,
            0,
            None,
            0,
            0,
            None,
            0,
            D("0.000000"),
            1,
            D("1.000000"),
            0,
            D("0.000000"),
            1,
            1,
            D("0.00"),
            D("15.00"),
            D("0.030000"),
        ),
        # D4: placed 2 Feb, 30 days not passed; promise A5 due 25 Feb (with grace) not kept; P2 signed,
        # nothing due yet; located by the promise call; the address update is still pending.
        (
            "AG02",
            FEB,
            1,
            D("3000.00"),
            None,
            None,
            None,
            None,
            D("0.00"),
            D("0.000000"),
            1,
            1,
            D("1.000000"),
            1,
            1,
            0,
            D("0.000000"),
            1,
            1,
            D("1.000000"),
            0,
            0,
            None,
            1,
            D("1.000000"),
            0,
            D("0.000000"),
            0,
            D("0.000000"),
            0,
            0,
            D("3000.00"),
            D("0.00"),
            None,
        ),
    ]
    assert report.rows["marts.kpi_cohort_month"] == 3
    assert (
        report.dossiers,
        report.assigned_amount,
        report.recovered_to_date,
        report.open_amount,
        report.commission_to_date,
        report.recovery_rate,
    ) == (4, D("6500.00"), D("1000.00"), D("3500.00"), D("30.00"), D("0.153846"))


def test_cohort_outcomes_at_the_end_of_march(wh: Warehouse) -> None:
    load_kpis(wh, MAR, computed_at=NOW)
    rows = as_dicts(wh, "SELECT * FROM marts.kpi_cohort_month WHERE as_of_month = ? ORDER BY 2, 3", [MAR])
    got = {(r["agency_code"], r["placement_month"]): r for r in rows}
    # AG01/Jan: 60 days passed (6 Mar): 300 + 200 (25 Feb); the reversal on 10 Mar is after them.
    # Promise A6 (500 by 10 Mar + 5) is due and not kept: 1 of 2 kept.
    assert pick(
        got[("AG01", JAN)],
        "recovered_30d",
        "recovered_60d",
        "recovered_90d",
        "recovered_to_date",
        "promises_count",
        "promises_kept",
        "promise_kept_rate",
        "cost_to_collect",
    ) == (D("300.00"), D("500.00"), None, D("300.00"), 2, 1, D("0.500000"), D("0.030000"))
    # AG02/Feb: 1,000 paid on 5 Mar, one day after its 30 days; the first of 2 instalments (1,000 of
    # 2,000) is due and covered: the plan is kept.
    assert pick(
        got[("AG02", FEB)],
        "recovered_30d",
        "recovery_rate_30d",
        "recovered_60d",
        "recovered_to_date",
        "recovery_rate",
        "plans_started",
        "plans_kept",
        "plan_kept_rate",
        "commission_to_date",
    ) == (D("0.00"), D("0.000000"), None, D("1000.00"), D("0.333333"), 1, 1, D("1.000000"), D("30.00"))


def test_grace_days_decide_whether_a_late_payment_keeps_a_promise(wh: Warehouse) -> None:
    # A5 promised 1,000 by 20 Feb; paid 5 Mar (13 days late). With 13 grace days it is kept.
    load_kpis(wh, MAR, promise_grace_days=13, computed_at=NOW)
    kept = wh.query(
        "SELECT promises_count, promises_kept FROM marts.kpi_cohort_month "
        "WHERE agency_code = 'AG02' AND placement_month = ?",
        [FEB],
    )
    assert kept == [(1, 1)]
    load_kpis(wh, MAR, promise_grace_days=12, computed_at=NOW)
    assert wh.query(
        "SELECT promises_count, promises_kept FROM marts.kpi_cohort_month "
        "WHERE agency_code = 'AG02' AND placement_month = ?",
        [FEB],
    ) == [(1, 0)]


def test_agency_league_sums_cohorts_and_ranks_by_recovery(wh: Warehouse) -> None:
    load_kpis(wh, FEB, computed_at=NOW)
    rows = as_dicts(
        wh, "SELECT * FROM marts.v_agency_league WHERE as_of_month = ? ORDER BY league_rank", [FEB]
    )
    cols = (
        "agency_code",
        "league_rank",
        "dossiers_count",
        "assigned_amount",
        "recovered_to_date",
        "recovery_rate",
        "assigned_90d",
        "recovered_90d",
        "recovery_rate_90d",
        "cost_to_collect",
        "right_party_contact_rate",
        "promise_kept_rate",
        "plan_activation_rate",
        "plan_kept_rate",
        "located_rate",
        "assets_found_rate",
        "data_update_rate",
        "dossiers_committed",
        "dossiers_paying",
        "dossiers_paid_in_full",
        "open_amount",
    )
    assert [pick(r, *cols) for r in rows] == [
        (
            "AG01",
            1,
            2,
            D("3000.00"),
            D("500.00"),
            D("0.166667"),
            D("0.00"),
            None,
            None,
            D("0.030000"),
            D("0.500000"),
            D("1.000000"),
            D("0.000000"),
            None,
            D("0.500000"),
            D("0.000000"),
            D("0.500000"),
            2,
            1,
            0,
            D("500.00"),
        ),
        # 500 / 3,500 = 0.142857; reached 1 of 2 worked; 1 promise due, not kept.
        (
            "AG02",
            2,
            2,
            D("3500.00"),
            D("500.00"),
            D("0.142857"),
            D("0.00"),
            None,
            None,
            D("0.030000"),
            D("0.500000"),
            D("0.000000"),
            D("1.000000"),
            None,
            D("0.500000"),
            D("0.500000"),
            D("0.000000"),
            1,
            1,
            1,
            D("3000.00"),
        ),
    ]


def test_agency_month_activity_and_cost_to_collect(wh: Warehouse) -> None:
    load_kpi_months(wh, FEB, MAR, computed_at=NOW)
    rows = wh.query(
        "SELECT agency_code, month, dossiers_open, dossiers_assigned, dossiers_recalled, assigned_amount, "
        "open_amount, actions_count, reported_payments_amount, matched_payments_amount, attributed_in_month, "
        "commission_in_month, cost_to_collect FROM marts.v_agency_month ORDER BY month, agency_code"
    )
    assert rows == [
        (
            "AG01",
            FEB,
            1,
            0,
            1,
            D("0.00"),
            D("500.00"),
            1,
            D("250.00"),
            D("200.00"),
            D("200.00"),
            D("6.00"),
            D("0.030000"),
        ),
        (
            "AG02",
            FEB,
            1,
            1,
            0,
            D("3000.00"),
            D("3000.00"),
            1,
            D("0.00"),
            D("0.00"),
            D("500.00"),
            D("15.00"),
            D("0.030000"),
        ),
        # March: the reversal takes 6.00 of commission back: cost to collect stays 3 %.
        (
            "AG01",
            MAR,
            1,
            0,
            0,
            D("0.00"),
            D("700.00"),
            0,
            D("0.00"),
            D("0.00"),
            D("-200.00"),
            D("-6.00"),
            D("0.030000"),
        ),
        (
            "AG02",
            MAR,
            1,
            0,
            0,
            D("0.00"),
            D("2000.00"),
            0,
            D("0.00"),
            D("0.00"),
            D("1000.00"),
            D("30.00"),
            D("0.030000"),
        ),
    ]


def test_portfolio_coverage_and_remaining_to_recover(wh: Warehouse) -> None:
    load_kpi_months(wh, JAN, FEB, computed_at=NOW)
    rows = wh.query(
        "SELECT month, segment, region, debtors_in_portfolio, debtors_eligible, debtors_placed, portfolio_amount, "
        "eligible_amount, placed_amount, coverage_debtors_rate, coverage_amount_rate, remaining_open_amount, "
        "coverage_portfolio_rate, recovered_to_date FROM marts.v_portfolio_coverage ORDER BY 1, 2, 3"
    )
    casa = "Casablanca-Settat"
    assert rows == [
        # January: debtors 1, 2, 5 (FRESH, Casablanca); 1 and 2 placed: 3,000 of 7,000 eligible.
        (
            JAN,
            "FRESH",
            casa,
            3,
            3,
            2,
            D("7000.00"),
            D("7000.00"),
            D("3000.00"),
            D("0.666667"),
            D("0.428571"),
            D("2700.00"),
            D("0.385714"),
            D("300.00"),
        ),
        # Debtor 6 fits no segment and is excluded: in the portfolio, not eligible.
        (
            JAN,
            "NONE",
            "UNKNOWN",
            1,
            0,
            0,
            D("700.00"),
            D("0.00"),
            D("0.00"),
            None,
            None,
            D("0.00"),
            D("0.000000"),
            D("0.00"),
        ),
        (
            JAN,
            "UNPAID_TITLE",
            "UNKNOWN",
            1,
            1,
            1,
            D("500.00"),
            D("500.00"),
            D("500.00"),
            D("1.000000"),
            D("1.000000"),
            D("500.00"),
            D("1.000000"),
            D("0.00"),
        ),
        # February: D2 recalled, D3 closed; D1 and D4 open: 3,500 still to recover.
        (
            FEB,
            "FRESH",
            casa,
            2,
            2,
            2,
            D("7000.00"),
            D("7000.00"),
            D("4000.00"),
            D("1.000000"),
            D("0.571429"),
            D("3500.00"),
            D("0.500000"),
            D("500.00"),
        ),
        (
            FEB,
            "UNPAID_TITLE",
            "UNKNOWN",
            0,
            0,
            0,
            D("0.00"),
            D("0.00"),
            D("0.00"),
            None,
            None,
            D("0.00"),
            None,
            D("500.00"),
        ),
    ]


# --- idempotence ------------------------------------------------------------------------------------


def test_rerunning_a_month_replaces_its_rows_and_leaves_other_months_alone(wh: Warehouse) -> None:
    load_kpi_months(wh, JAN, MAR, computed_at=NOW)
    before = snapshot(wh)

    load_kpis(wh, FEB, computed_at=NOW)
    load_kpis(wh, FEB, computed_at=NOW)
    assert snapshot(wh) == before  # kpi_cohort_outcome still shows March, the latest month loaded
    latest = load_kpis(wh, MAR, computed_at=NOW)
    assert not latest.kept and latest.rows  # the latest month loaded is recomputed
    assert snapshot(wh) == before

    # Core learns more about February after March was loaded (a payment attributed late): a re-run
    # or backfill of February keeps what BI users read; recompute=True restates it, replacing
    # February's rows without adding to them.
    wh.execute(
        "INSERT INTO core.attribution VALUES (6, 'D202602-000004', 'AG02', 100.00, DATE '2026-02-27', "
        "DATE '2025-11-01', DATE '2026-02-01', TIMESTAMP '2026-02-28 21:00:00')"
    )
    kept = load_kpis(wh, FEB, computed_at=dt.datetime(2027, 1, 1))
    assert kept.kept and kept.rows == {} and kept.computed_at == NOW
    assert snapshot(wh) == before
    load_kpis(wh, FEB, computed_at=NOW, recompute=True)
    after = snapshot(wh)
    assert wh.query("SELECT count(*) FROM marts.fact_dossier_month WHERE as_of_month = ?", [FEB]) == [(4,)]
    assert wh.query(
        "SELECT recovered_amount FROM marts.kpi_recovery_vintage WHERE agency_code = 'AG02' "
        "AND placement_month = ? AND months_since_placement = 0",
        [FEB],
    ) == [(D("100.00"),)]
    assert wh.query(
        "SELECT recovered_to_date, dossiers_paying FROM marts.kpi_agency_league "
        "WHERE as_of_month = ? AND agency_code = 'AG02'",
        [FEB],
    ) == [(D("600.00"), 2)]
    unchanged = [
        t
        for t in MART_QUERIES
        if t
        not in {
            "fact_dossier_month",
            "kpi_recovery_vintage",
            "kpi_cohort_month",
            "kpi_agency_league",
            "kpi_agency_month",
            "kpi_portfolio_month",
            "kpi_agency_effect",
            "v_agency_effect",
            "kpi_score_calibration",
            "v_score_calibration",
            "v_recovery_tier",
            "v_recovery_vintage",
            "v_cohort_outcome",
            "v_agency_league",
            "v_agency_month",
            "v_portfolio_coverage",
        }
    ]
    assert {t: after[t] for t in unchanged} == {t: before[t] for t in unchanged}
    jan_only = "SELECT * FROM marts.kpi_cohort_month WHERE as_of_month = ? ORDER BY 2, 3, 4, 5"
    with connect("duckdb:///:memory:") as fresh:
        seed(fresh)
        load_kpis(fresh, JAN, computed_at=NOW)
        assert wh.query(jan_only, [JAN]) == fresh.query(jan_only, [JAN])


def test_a_failed_load_leaves_the_month_as_it_was(wh: Warehouse) -> None:
    load_kpis(wh, FEB, computed_at=NOW)
    before = snapshot(wh)
    # An attribution above what D4 owes breaks the money identity (open would be negative).
    wh.execute(
        "INSERT INTO core.attribution VALUES (7, 'D202602-000004', 'AG02', 5000.00, DATE '2026-02-27', "
        "DATE '2025-11-01', DATE '2026-02-01', TIMESTAMP '2026-02-28 21:00:00')"
    )
    with pytest.raises(Exception, match="CHECK|[Cc]onstraint"):
        load_kpis(wh, FEB, computed_at=NOW)
    assert snapshot(wh) == before


def test_cohort_outcome_follows_the_latest_month_loaded(wh: Warehouse) -> None:
    load_kpis(wh, MAR, computed_at=NOW)
    load_kpis(wh, FEB, computed_at=NOW)
    assert {d for (d,) in wh.query("SELECT DISTINCT as_of_date FROM marts.kpi_cohort_outcome")} == {
        dt.date(2026, 3, 31)
    }
    assert wh.query(
        "SELECT right_party_contact_rate, dossiers_worked, plans_started, plan_kept_rate "
        "FROM marts.kpi_cohort_outcome WHERE agency_code = 'AG02' AND placement_month = ?",
        [FEB],
    ) == [(D("1.000000"), 1, 1, D("1.000000"))]


def test_every_view_column_is_commented(wh: Warehouse) -> None:
    views = [
        str(v)
        for (v,) in wh.query("SELECT view_name FROM duckdb_views() WHERE schema_name = 'marts' ORDER BY 1")
    ]
    assert views == [
        "v_agency_effect",
        "v_agency_league",
        "v_agency_month",
        "v_cohort_outcome",
        "v_portfolio_coverage",
        "v_recovered_by_kind",
        "v_recovery_tier",
        "v_recovery_vintage",
        "v_score_calibration",
    ]
    missing = wh.query(
        "SELECT table_name, column_name FROM duckdb_columns() WHERE schema_name = 'marts' "
        "AND table_name LIKE 'v\\_%' ESCAPE '\\' AND (comment IS NULL OR comment = '')"
    )
    assert missing == []
    assert wh.query(
        "SELECT count(*) FROM duckdb_views() WHERE schema_name = 'marts' AND comment IS NULL"
    ) == [(0,)]
    doc = (Path(__file__).resolve().parents[2] / "docs" / "kpi.md").read_text(encoding="utf-8")
    for view in views:
        assert f"marts.{view}" in doc
        for (col,) in wh.query(
            "SELECT column_name FROM duckdb_columns() WHERE schema_name = 'marts' AND table_name = ?", [view]
        ):
            assert f"`{col}`" in doc, f"{view}.{col} is not documented in docs/kpi.md"


def test_a_payment_recorded_after_a_recall_counts_as_recovered_and_the_month_still_loads(wh: Warehouse) -> None:
    """Time-correct months: D1 of the reconciliation world is recalled on 2026-12-01 with what the ledger
    then left open. A payment dated 2026-11-28 reaches the ledger on 2027-01-05 and is attributed to D1
    (dated in its window). The month-end position counts it as recovered; the rest is recalled, open 0,
    and the money identity holds (before, open went negative and the load failed its CHECK)."""
    import reconcile_world as rw
    from recouvra.ledger import load_ledger
    from recouvra.owed import owed_on
    from recouvra.reconcile import reconcile

    rw.build_world(wh)
    recall_day = dt.date(2026, 12, 1)
    with rw.lake_with([r for r in rw.LEDGER if r[3] <= recall_day]) as lake:
        load_ledger(wh, lake, recall_day)
    left = owed_on(wh, {rw.D1: recall_day}, recall_day)[rw.D1]
    wh.execute("UPDATE core.dossier SET status = 'RECALLED' WHERE dossier_id = ?", [rw.D1])
    wh.execute("INSERT INTO core.dossier_recall VALUES (?, ?, 'EXPIRED', ?, ?, NULL, ?)",
               [rw.D1, recall_day, left, dt.datetime(2026, 12, 1, 6), recall_day])
    late = (401, "R401", "0000001", dt.date(2026, 11, 28), 20000, "2026-02", "PAYMENT", None)
    with rw.lake_with([late]) as lake:
        load_ledger(wh, lake, dt.date(2027, 1, 5))
    reconcile(wh, dt.date(2027, 1, 5))
    jan = dt.date(2027, 1, 1)
    load_kpis(wh, jan, computed_at=NOW)
    row = wh.query("SELECT assigned_amount, attributed_to_date, recalled_amount, open_amount "
                   "FROM marts.fact_dossier_month WHERE as_of_month = ? AND dossier_id = ?", [jan, rw.D1])
    (assigned, recovered, recalled, open_) = row[0]
    assert open_ == 0 and recalled == assigned - recovered
    assert left > D("200.00") and recalled == left - D("200.00")  # recovered, not recalled


def test_a_coverage_rate_above_999_loads(wh: Warehouse) -> None:
    """Coverage rates can exceed 1 (debtors already placed are not eligible again): with 3,000.00 placed
    on 3.00 eligible the amount coverage is 1,000, past V007's DECIMAL(9,6); V021 widened it."""
    wh.execute("UPDATE core.selection_decision SET total_due = 1.00 WHERE decision <> 'EXCLUDED' "
               "AND selection_month = ? AND segment = 'FRESH'", [JAN])
    load_kpis(wh, JAN, computed_at=NOW)
    assert wh.query("SELECT eligible_amount, placed_amount, coverage_amount_rate FROM marts.v_portfolio_coverage "
                    "WHERE month = ? AND segment = 'FRESH'", [JAN]) == [
        (D("3.00"), D("3000.00"), D("1000.000000"))]


def test_score_calibration_compares_predicted_with_recovered_once_the_horizon_has_passed(wh: Warehouse) -> None:
    load_kpis(wh, JAN, computed_at=NOW, calibration_horizon_months=2)
    assert wh.query("SELECT count(*) FROM marts.kpi_score_calibration") == [(0,)]  # January's 2 months: Feb end
    load_kpis(wh, FEB, computed_at=NOW, calibration_horizon_months=2)
    rows = wh.query(
        "SELECT decile, dossiers_count, weighted_due, predicted_amount, observed_amount, predicted_rate, "
        "observed_rate, horizon_months, vintages_count, model_source, fitted_month "
        "FROM marts.v_score_calibration WHERE as_of_month = ? ORDER BY decile", [FEB])
    # January's three dossiers ranked by likelihood (0.40, 0.15, 0.05), what each recovered by March 1st
    # (D1 300 + 200, D3 500); no selection run recorded, so no model is named.
    assert rows == [
        (1, 1, D("900.00"), D("360.00"), D("500.00"), D("0.400000"), D("0.555556"), 2, 1, None, None),
        (2, 1, D("2000.00"), D("300.00"), D("0.00"), D("0.150000"), D("0.000000"), 2, 1, None, None),
        (3, 1, D("500.00"), D("25.00"), D("500.00"), D("0.050000"), D("1.000000"), 2, 1, None, None),
    ]

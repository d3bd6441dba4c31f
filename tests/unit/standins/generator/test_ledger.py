"""Declarations, receivables, payments, titles and plans (recouvra.standins.generator.ledger): money
integrity, principal from payroll and rates, effective-dated surcharges across the 2025-07-01 reform."""

from __future__ import annotations

import datetime as dt
import importlib.util
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from recouvra.config import Settings
from recouvra.standins.generator.ledger import RateTables, surcharge_centimes
from recouvra.standins.generator.seed import timeline_of
from recouvra.standins.generator.timeline import day_number, month_index

_spec = importlib.util.spec_from_file_location("generator_sources", Path(__file__).with_name("sources.py"))
assert _spec is not None and _spec.loader is not None
sources = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(sources)
_query = sources._query


def _principal_reference(settings: Settings, period: str, headcount: int, payroll: int) -> int:
    """Contributions of a month, the obvious Decimal way."""
    y, m = map(int, period.split("-"))
    avg = payroll // headcount
    total = Decimal(0)
    for r in settings.rates.contributions_on(dt.date(y, m, 1)):
        base = payroll if r.ceiling is None else headcount * min(avg, int(r.ceiling * 100))
        total += (r.employer + r.employee) * base
    return int(total.to_integral_value(rounding=ROUND_HALF_UP))


def test_money_is_consistent(seeded: tuple[Path, Path]) -> None:
    db, _ = seeded
    rec = _query(db, "SELECT affiliation_no, period, kind, amount_centimes, title_id FROM receivables")
    pay = _query(db, "SELECT * FROM ledger_payments")
    assert (rec.amount_centimes >= 0).all()
    assert set(rec.kind) == {"PRINCIPAL", "SURCHARGE", "PENALTY"}
    due = rec.groupby(["affiliation_no", "period"]).amount_centimes.sum()
    payments = pay[pay.kind == "PAYMENT"]
    assert (payments.amount_centimes > 0).all()
    gross = payments.groupby(["affiliation_no", "settles_period"]).amount_centimes.sum()
    net = pay.groupby(["affiliation_no", "settles_period"]).amount_centimes.sum()
    gross.index.names = net.index.names = due.index.names
    assert gross.index.isin(due.index).all(), "a payment settles a period with nothing due"
    assert (gross <= due.reindex(gross.index)).all()
    assert (net >= 0).all()
    # reversals negate an existing payment of the same employer and period, at most once each
    rev = pay[pay.kind == "REVERSAL"]
    assert 0.005 < len(rev) / len(payments) < 0.03
    by_id = payments.set_index("payment_id")
    assert rev.reverses_payment_id.isin(by_id.index).all()
    assert rev.reverses_payment_id.is_unique
    orig = by_id.loc[rev.reverses_payment_id.astype("int64")]
    assert (orig.amount_centimes.to_numpy() == -rev.amount_centimes.to_numpy()).all()
    assert (orig.affiliation_no.to_numpy() == rev.affiliation_no.to_numpy()).all()
    assert (orig.settles_period.to_numpy() == rev.settles_period.to_numpy()).all()
    # titles carry exactly the lines that reference them
    titles = _query(db, "SELECT title_id, amount_centimes, notified_on FROM titles")
    sums = rec.dropna(subset=["title_id"]).groupby("title_id").amount_centimes.sum()
    assert (titles.set_index("title_id").amount_centimes == sums.reindex(titles.title_id).to_numpy()).all()
    # some titles are near the 4-year limit (notified 3y8m to 4y before the as-of date)
    notified = pd.to_datetime(titles.notified_on.dropna())
    age = (pd.Timestamp("2026-10-31") - notified).dt.days
    assert ((age > 4 * 365 - 120) & (age <= 4 * 365)).sum() > 0
    # plans: about half broken, installments add up to the plan total
    plans = _query(db, "SELECT * FROM payment_plans")
    inst = _query(db, "SELECT plan_id, SUM(amount_centimes) AS s FROM plan_installments GROUP BY plan_id")
    merged = plans.merge(inst, on="plan_id")
    assert (merged.total_centimes == merged.s).all() and len(merged) == len(plans)
    assert 0.3 < (plans.status == "BROKEN").mean() < 0.75


def test_principal_is_declared_payroll_times_rates_in_force(
    settings: Settings, seeded: tuple[Path, Path]
) -> None:
    db, _ = seeded
    df = _query(db, """
        SELECT r.period, r.amount_centimes, d.headcount, d.payroll_centimes FROM receivables r
        JOIN declarations d ON d.affiliation_no = r.affiliation_no AND d.period = r.period
        WHERE r.kind = 'PRINCIPAL' LIMIT 400""")
    assert len(df) > 100
    for row in df.itertuples():
        assert row.amount_centimes == _principal_reference(
            settings, row.period, int(row.headcount), int(row.payroll_centimes))


@pytest.mark.parametrize(
    ("period", "paid_on", "rate"),
    [
        # due 2024-02-10; lateness months start 02-11 (3%), 03-11 (1%), 04-11 (1%): 5%
        ("2024-01", dt.date(2024, 4, 20), "0.05"),
        # due 2025-04-10; months start 04-11 (3%), 05-11 (1%), 06-11 (1%), 07-11 (0.5%, reform): 5.5%
        ("2025-03", dt.date(2025, 7, 20), "0.055"),
        # due 2025-06-10; months start 06-11 (3%), then 07-11, 08-11, 09-11 at 0.5%: 4.5%
        ("2025-05", dt.date(2025, 9, 20), "0.045"),
        # paid on the due day + 1: first month started, 3%
        ("2025-05", dt.date(2025, 6, 11), "0.03"),
        # paid on the due day: not late
        ("2025-05", dt.date(2025, 6, 10), "0"),
    ],
)
def test_surcharge_across_the_2025_07_01_reform(
    settings: Settings, period: str, paid_on: dt.date, rate: str
) -> None:
    principal = 1_000_000  # 10,000.00 MAD
    expected = int(Decimal(principal) * Decimal(rate))
    assert surcharge_centimes(settings.rates, period, principal, paid_on) == expected
    # the vectorised tables used by the generator agree with the reference
    tables = RateTables.build(settings.rates, timeline_of(settings))
    y, m = map(int, period.split("-"))
    ppm = tables.surcharge_ppm(np.array([month_index(y, m)]), np.array([day_number(paid_on)]), 10)
    assert int(ppm[0]) == int(Decimal(rate) * 1_000_000)


def test_seeded_surcharges_follow_the_effective_dated_rates(
    settings: Settings, seeded: tuple[Path, Path]
) -> None:
    """Periods paid in full, with no reversal: the surcharge line is the rate table's up to the
    last payment date; unpaid periods run to the as-of date."""
    db, _ = seeded
    rec = _query(db, "SELECT affiliation_no, period, kind, basis, amount_centimes FROM receivables")
    pay = _query(db, "SELECT affiliation_no, settles_period AS period, kind, amount_centimes, payment_date "
                     "FROM ledger_payments")
    lines: dict[tuple[str, str], dict[str, int]] = defaultdict(dict)
    for r in rec.itertuples():
        lines[(r.affiliation_no, r.period)][r.basis] = int(r.amount_centimes)
    paid = pay.groupby(["affiliation_no", "period"]).agg(
        net=("amount_centimes", "sum"), last=("payment_date", "max"),
        reversals=("kind", lambda k: (k == "REVERSAL").sum()))
    checked_paid = checked_unpaid = 0
    as_of = dt.date(2026, 10, 31)
    for key, ls in lines.items():
        due = sum(ls.values())
        principal = ls["CONTRIBUTIONS"]
        if key in paid.index and paid.loc[key, "reversals"] == 0 and paid.loc[key, "net"] == due:
            end = dt.date.fromisoformat(paid.loc[key, "last"])
            assert ls["LATE_PAYMENT"] == surcharge_centimes(settings.rates, key[1], principal, end), key
            checked_paid += 1
        elif key not in paid.index:
            assert ls["LATE_PAYMENT"] == surcharge_centimes(settings.rates, key[1], principal, as_of), key
            checked_unpaid += 1
    assert checked_paid > 200 and checked_unpaid > 200

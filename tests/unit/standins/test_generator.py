"""The synthetic fund database: determinism, identifiers and dirt rates, truth, money integrity,
effective-dated surcharges, idempotent re-runs, and the dedupe sample export."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import sqlite3
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from stdnum.ma import ice as stdnum_ice

from recouvra.config import Settings, load_settings
from recouvra.standins.generator import export_dedupe_sample, seed_source
from recouvra.standins.generator.ledger import RateTables, surcharge_centimes
from recouvra.standins.generator.seed import TABLES, TRUTH_FILE, resolve_scale, timeline_of
from recouvra.standins.generator.timeline import day_number, month_index

N = 2000
SEED = 7


@pytest.fixture(scope="module")
def settings() -> Settings:
    return load_settings()


@pytest.fixture(scope="module")
def seeded(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """One small source seeded once for the module: (database file, truth dir)."""
    d = tmp_path_factory.mktemp("seed")
    db, truth = d / "source.db", d / "truth"
    seed_source(settings, scale=N, seed=SEED, url=f"sqlite:///{db}", truth_dir=truth, progress=False)
    return db, truth


def _table_hash(db: Path, table: str) -> str:
    conn = sqlite3.connect(db)
    try:
        h = hashlib.sha256()
        for row in conn.execute(f"SELECT * FROM {table} ORDER BY 1, 2"):
            h.update(repr(row).encode())
        return h.hexdigest()
    finally:
        conn.close()


def _query(db: Path, sql: str) -> pd.DataFrame:
    conn = sqlite3.connect(db)
    try:
        return pd.read_sql_query(sql, conn)
    finally:
        conn.close()


def _truth(truth_dir: Path) -> pd.DataFrame:
    return pd.read_parquet(truth_dir / TRUTH_FILE)


# ------------------------------------------------------------------------------------ determinism


def test_same_seed_same_data_other_seed_other_data(
    settings: Settings, seeded: tuple[Path, Path], tmp_path: Path
) -> None:
    db, truth = seeded
    again = tmp_path / "again.db"
    other = tmp_path / "other.db"
    seed_source(settings, scale=N, seed=SEED, url=f"sqlite:///{again}", truth_dir=tmp_path / "t1",
                progress=False)
    seed_source(settings, scale=N, seed=SEED + 1, url=f"sqlite:///{other}", truth_dir=tmp_path / "t2",
                progress=False)
    for table in TABLES:
        assert _table_hash(db, table) == _table_hash(again, table), table
    assert _table_hash(db, "employers") != _table_hash(other, "employers")
    assert _table_hash(db, "receivables") != _table_hash(other, "receivables")
    pd.testing.assert_frame_equal(_truth(truth), _truth(tmp_path / "t1"))


def test_scale_labels_and_numbers() -> None:
    assert resolve_scale("S") == ("S", 5_000)
    assert resolve_scale("m") == ("M", 100_000)
    assert resolve_scale("L") == ("L", 1_000_000)
    assert resolve_scale(1500) == ("1500", 1500)
    with pytest.raises(Exception, match="scale"):
        resolve_scale("XL")


# ------------------------------------------------------------------------- identifiers and dirt


def test_valid_ice_pass_stdnum_and_dirt_shares_match_configuration(
    settings: Settings, seeded: tuple[Path, Path]
) -> None:
    db, truth_dir = seeded
    emp = _query(db, "SELECT affiliation_no, ice, cin, legal_form FROM employers")
    df = emp.merge(_truth(truth_dir), on="affiliation_no")
    valid = df[df.ice_state == "VALID"]
    assert len(valid) > N // 2
    assert all(stdnum_ice.is_valid(x) and len(x) == 15 and x.isdigit() for x in valid.ice)
    broken = df[df.ice_state.isin(["BAD_CHECK", "SHORT", "LONG"])]
    assert not any(stdnum_ice.is_valid(x) for x in broken.ice)
    assert df[df.ice_state == "MISSING"].ice.isna().all()

    cfg = settings.seed
    missing = (df.ice_state == "MISSING").mean()
    malformed = df.ice_state.isin(["BAD_CHECK", "SHORT", "LONG", "SEPARATORS"]).mean()
    assert abs(missing - float(cfg.missing_ice_share)) < 0.04
    assert abs(malformed - float(cfg.malformed_ice_share)) < 0.015

    entities = df.groupby("entity_id").size()
    dup_share = (entities > 1).mean()
    assert abs(dup_share - float(cfg.duplicate_entity_share)) < 0.03
    # duplicated records share the 9-digit company root of their ICE when both have a valid one
    for _, grp in valid.groupby("entity_id"):
        assert grp.ice.str[:9].nunique() == 1
    # some duplicate sets share no strong identifier at all; some unrelated entities look alike
    dups = df[df.set_size > 1]
    assert (~dups.drop_duplicates("entity_id").shares_strong_id).sum() > 0
    assert (df.lookalike_of >= 0).sum() > 0
    assert df.common_name.sum() > 0
    # natural persons carry a CIN like 'BE123456' or 'A123456'
    persons = df[df.natural_person & df.cin.notna()]
    assert len(persons) > 0 and persons.cin.str.fullmatch(r"[A-Z]{1,2}\d{5,6}").all()


def test_truth_covers_every_record_once_and_stays_out_of_the_source(seeded: tuple[Path, Path]) -> None:
    db, truth_dir = seeded
    truth = _truth(truth_dir)
    emp = _query(db, "SELECT affiliation_no FROM employers")
    assert len(emp) == N
    assert truth.affiliation_no.is_unique
    assert set(truth.affiliation_no) == set(emp.affiliation_no)
    assert emp.affiliation_no.str.fullmatch(r"\d{7}").all()
    conn = sqlite3.connect(db)
    try:
        for table in TABLES:
            cols = {r[1] for r in conn.execute(f"PRAGMA table_info({table})")}
            assert not cols & {"entity_id", "dup_kind", "ice_state", "set_size"}, table
    finally:
        conn.close()


# ------------------------------------------------------------------------------- money integrity


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


def _principal_reference(settings: Settings, period: str, headcount: int, payroll: int) -> int:
    """Contributions of a month, the obvious Decimal way."""
    y, m = map(int, period.split("-"))
    avg = payroll // headcount
    total = Decimal(0)
    for r in settings.rates.contributions_on(dt.date(y, m, 1)):
        base = payroll if r.ceiling is None else headcount * min(avg, int(r.ceiling * 100))
        total += (r.employer + r.employee) * base
    return int(total.to_integral_value(rounding=ROUND_HALF_UP))


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


# -------------------------------------------------------------------------------------- surcharge


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


# ---------------------------------------------------------------------------------- idempotency


def test_second_run_skips_and_force_reseeds(settings: Settings, tmp_path: Path) -> None:
    url, truth = f"sqlite:///{tmp_path / 'src.db'}", tmp_path / "truth"
    first = seed_source(settings, scale=300, seed=3, url=url, truth_dir=truth, progress=False)
    assert not first.skipped and first.counts["employers"] == 300
    before = _table_hash(tmp_path / "src.db", "receivables")
    second = seed_source(settings, scale=300, seed=3, url=url, truth_dir=truth, progress=False)
    assert second.skipped and second.counts == first.counts
    assert "nothing to do" in second.summary()
    forced = seed_source(settings, scale=300, seed=3, url=url, truth_dir=truth, progress=False, force=True)
    assert not forced.skipped and forced.counts == first.counts
    assert _table_hash(tmp_path / "src.db", "receivables") == before
    other = seed_source(settings, scale=300, seed=4, url=url, truth_dir=truth, progress=False)
    assert not other.skipped
    runs = _query(tmp_path / "src.db", "SELECT seed FROM seed_runs")
    assert runs.seed.tolist() == [4]  # tables dropped and recreated: one run recorded
    assert "employers" in first.summary() and str(truth) in first.summary()


# ------------------------------------------------------------------------------ dedupe sample


def test_export_dedupe_sample_keeps_whole_entities(seeded: tuple[Path, Path], tmp_path: Path) -> None:
    db, truth_dir = seeded
    out_csv, out_truth = tmp_path / "sample.csv", tmp_path / "sample_truth.csv"
    n = export_dedupe_sample(f"sqlite:///{db}", truth_dir, out_csv, out_truth, max_records=500)
    assert 450 <= n <= 500
    with out_csv.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh, delimiter=";"))
    assert rows[0] == ["record_id", "affiliation_no", "name", "legal_form", "ice", "rc_number", "rc_court",
                       "cin", "address", "city", "phone", "email", "legal_rep_name"]
    assert len(rows) == n + 1
    truth = pd.read_csv(out_truth, sep=";", dtype=str)
    assert list(truth.columns) == ["record_id", "entity_id"] and len(truth) == n
    full = _truth(truth_dir)
    sizes = full.groupby("entity_id").size()
    sample_sizes = truth.groupby("entity_id").size()
    assert (sizes.reindex(sample_sizes.index.astype("int64")).to_numpy() == sample_sizes.to_numpy()).all()
    assert export_dedupe_sample(f"sqlite:///{db}", truth_dir, out_csv, out_truth) == N

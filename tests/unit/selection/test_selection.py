"""Monthly selection, allocation among agencies and dossier lifecycle, on small warehouse tables built
directly (in-memory DuckDB + a tiny lake) and once on seeded S data."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml

from recouvra.config import DEFAULT_CONFIG, REGIONS, Settings, load_settings
from recouvra.errors import ConfigError
from recouvra.lake import TABLES, arrow_schema
from recouvra.selection import (
    EmptySelectionError,
    SelectionError,
    refresh_dossiers,
    require_dossiers,
    select_and_allocate,
)
from recouvra.selection.allocation import (
    AgencySlot,
    Candidate,
    RegionFlow,
    agency_shares,
    allocate,
    apportion,
    balance,
    score_bands,
)
from recouvra.selection.scoring import Features, LikelihoodModel, fit_likelihood
from recouvra.warehouse import connect, migrate_connection

NOV = dt.date(2026, 11, 1)
CASA, RABAT = "Casablanca-Settat", "Rabat-Salé-Kénitra"
TANGER, SOUSS = "Tanger-Tétouan-Al Hoceïma", "Souss-Massa"


# --- building small worlds ------------------------------------------------------------------------

def _settings(tmp_path: Path, *, per_month: int = 3, agencies: list[dict[str, Any]] | None = None,
              performance: dict[str, Any] | None = None, **eligibility: Any) -> Settings:
    raw = yaml.safe_load(DEFAULT_CONFIG.read_text(encoding="utf-8"))
    raw["allocation"]["performance"].update(performance or {})
    raw["programme"]["dossiers_per_month"] = per_month
    raw["programme"]["eligibility"].update(eligibility)
    if agencies is not None:
        raw["agencies"] = agencies
    path = tmp_path / "config" / "recouvra.yaml"
    path.parent.mkdir(exist_ok=True)
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return load_settings(path, environ={})


def _agency(code: str, regions: list[str], capacity: int, rate: str = "0.03") -> dict[str, Any]:
    return {"code": code, "name": f"Agency {code}", "regions": regions, "monthly_capacity": capacity,
            "commission_rate": rate, "sftp_conn_id": f"sftp_{code.lower()}"}


def _debtor(debtor_id: int, principal: int, **kw: Any) -> dict[str, Any]:
    d: dict[str, Any] = {
        "debtor_id": debtor_id, "principal": principal, "surcharge": principal // 10, "penalty": 0,
        "region": CASA, "oldest": "2026-08", "notified": None, "days_left": None, "payments_12m": 3,
        "reversals": 0, "broken_plans": 0, "active_plans": 0, "in_proc": False, "in_insolv": False,
        "disputes": 0, "activity": "ACTIVE", "phone": "+212612345678", "email": "a@b.ma",
        "affiliations": [f"{1000000 + debtor_id}"],
    }
    d.update(kw)
    return d


def _write_lake(lake: Path, table: str, rows: list[dict[str, Any]], day: str = "2026-11-01") -> None:
    schema = arrow_schema(table)
    folder = lake / table / f"snapshot_date={day}"
    folder.mkdir(parents=True, exist_ok=True)
    data = {f.name: pa.array([r.get(f.name) for r in rows], f.type) for f in schema}
    n = len(list(folder.glob("*.parquet")))
    pq.write_table(pa.table(data, schema=schema), folder / f"part-{n}.parquet")


def _build(wh: Any, lake: Path, debtors: list[dict[str, Any]], as_of: dt.date = NOV) -> None:
    """dim_debtor, bridge, debtor_portfolio and the lake's receivables for the debtors."""
    now = dt.datetime(2026, 10, 31, 12)
    receivables: list[dict[str, Any]] = []
    rid = 0
    for d in debtors:
        affs = d["affiliations"]
        wh.execute(
            "INSERT INTO core.dim_debtor (debtor_id, primary_affiliation_no, legal_name, is_natural_person, "
            "address, city, region, phone_1, email, activity_status, affiliations_count, status, created_at, "
            "updated_at) VALUES (?, ?, ?, false, 'Rue 1', 'Ville', ?, ?, ?, ?, ?, 'ACTIVE', ?, ?)",
            [d["debtor_id"], affs[0], f"STE {d['debtor_id']}", d["region"], d["phone"], d["email"],
             d["activity"], len(affs), now, now])
        wh.execute(
            "INSERT INTO core.debtor_history (debtor_id, valid_from, is_current, primary_affiliation_no, "
            "legal_name, is_natural_person, activity_status, change_source) "
            "VALUES (?, ?, true, ?, ?, false, ?, 'SOURCE')",
            [d["debtor_id"], now, affs[0], f"STE {d['debtor_id']}", d["activity"]])
        for aff in affs:
            wh.execute("INSERT INTO core.bridge_affiliation_debtor "
                       "VALUES (?, ?, NULL, true, ?, 'SINGLETON', NULL)",
                       [aff, dt.date(2026, 10, 1), d["debtor_id"]])
        # Amounts are split evenly over the affiliations, on one month (the first affiliation takes any rest).
        per = len(affs)
        amounts = {"PRINCIPAL": d["principal"], "SURCHARGE": d["surcharge"], "PENALTY": d["penalty"]}
        for k, aff in enumerate(affs):
            for kind, mad in amounts.items():
                cents = mad * 100 // per + (mad * 100 % per if k == 0 else 0)
                if cents:
                    rid += 1
                    receivables.append({
                        "receivable_id": rid, "affiliation_no": aff, "period": d["oldest"], "kind": kind,
                        "basis": "CONTRIBUTIONS", "amount_centimes": cents, "title_id": None,
                        "established_on": dt.date(2026, 9, 10), "updated_at": now})
        total = d["principal"] + d["surcharge"] + d["penalty"]
        wh.execute(
            "INSERT INTO core.debtor_portfolio (as_of_date, debtor_id, principal_open, surcharge_open, "
            "penalty_open, total_open, unpaid_periods, oldest_unpaid_period, newest_unpaid_period, "
            "oldest_title_notified_on, title_days_left, payments_12m, paid_12m, reversals, plans, "
            "broken_plans, active_plans, honoured_plans, in_legal_proceeding, in_insolvency, open_disputes, "
            "activity_status, region, affiliations_count) "
            "VALUES (?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?, 0, ?, ?, ?, ?, ?, ?)",
            [as_of, d["debtor_id"], d["principal"], d["surcharge"], d["penalty"], total, d["oldest"],
             d["oldest"], d["notified"], d["days_left"], d["payments_12m"], d["reversals"],
             d["broken_plans"] + d["active_plans"], d["broken_plans"], d["active_plans"], d["in_proc"],
             d["in_insolv"], d["disputes"], d["activity"], d["region"], len(affs)])
    _write_lake(lake, "receivables", receivables)


@pytest.fixture()
def world(tmp_path: Path):  # type: ignore[no-untyped-def]
    """An empty migrated in-memory warehouse and a lake folder."""
    with connect("duckdb:///:memory:") as wh:
        migrate_connection(wh)
        yield wh, tmp_path / "lake"


def _decisions(wh: Any, month: dt.date = NOV) -> dict[int, tuple[str, str | None, int | None]]:
    return {int(d): (str(dec), r, k) for d, dec, r, k in wh.query(
        "SELECT debtor_id, decision, reason_code, priority_rank FROM core.selection_decision "
        "WHERE selection_month = ? ORDER BY debtor_id", [month])}


def _dossiers(wh: Any, month: dt.date = NOV) -> list[tuple[Any, ...]]:
    return wh.query("SELECT dossier_id, debtor_id, agency_code, segment, assignment_start, assignment_end, "
                    "commission_rate, commission_cap, periods_count, principal_due, surcharges_due, "
                    "penalties_due, total_due, status FROM core.dossier WHERE assignment_month = ? "
                    "ORDER BY dossier_id", [month])


# --- eligibility and selection --------------------------------------------------------------------

def test_every_exclusion_rule_has_its_reason_and_ceased_activity_is_not_one(world, tmp_path: Path) -> None:
    wh, lake = world
    debtors = [
        _debtor(1, 50_000, in_proc=True),
        _debtor(2, 50_000, in_proc=True, in_insolv=True),
        _debtor(3, 50_000, activity="LIQUIDATION"),
        _debtor(4, 50_000, active_plans=1),
        _debtor(5, 50_000, disputes=2),
        _debtor(6, 4_000, surcharge=500),                         # 4,500 < 5,000 minimum
        _debtor(7, 50_000, notified=dt.date(2022, 12, 1), days_left=60, oldest="2022-10"),
        _debtor(8, 50_000, activity="CEASED"),                    # agencies locate assets: eligible
        _debtor(9, 50_000, notified=dt.date(2023, 6, 1), days_left=400, oldest="2023-04"),
    ]
    _build(wh, lake, debtors)
    report = select_and_allocate(wh, lake, _settings(tmp_path, per_month=5), NOV, seed=1)
    got = _decisions(wh)
    assert {k: v[1] for k, v in got.items() if v[0] == "EXCLUDED"} == {
        1: "LEGAL_PROCEEDING", 2: "INSOLVENT_OR_LIQUIDATION", 3: "INSOLVENT_OR_LIQUIDATION",
        4: "HONOURED_PLAN", 5: "DISPUTED", 6: "BELOW_MINIMUM", 7: "TITLE_NEAR_LIMIT",
    }
    assert got[8][0] == got[9][0] == "SELECTED"
    assert report.considered == 9 and report.eligible == 2 and report.selected == 2
    assert require_dossiers(report) is report  # a month with dossiers goes on
    seg = dict(wh.query("SELECT debtor_id, segment FROM core.dossier"))
    assert seg == {8: "FRESH", 9: "UNPAID_TITLE"}  # 3 months old without title / notified title
    # Excluded debtors have no rank; every row is queryable with a reason.
    assert all(v[2] is None for v in got.values() if v[0] == "EXCLUDED")
    assert wh.query("SELECT count(*) FROM core.selection_decision WHERE reason_code IS NULL") == [(0,)]


def test_near_limit_titles_go_first_under_the_prioritise_rule(world, tmp_path: Path) -> None:
    wh, lake = world
    _build(wh, lake, [_debtor(1, 900_000), _debtor(2, 20_000, notified=dt.date(2022, 12, 1), days_left=60,
                                                     oldest="2022-10")])
    select_and_allocate(wh, lake, _settings(tmp_path, per_month=1, title_near_limit_rule="prioritise"),
                        NOV, seed=1)
    assert _decisions(wh) == {1: ("NOT_SELECTED", "QUOTA", 2), 2: ("SELECTED", "TOP_SCORE", 1)}


def test_the_top_scores_are_selected_and_everyone_else_has_a_reason(world, tmp_path: Path) -> None:
    wh, lake = world
    _build(wh, lake, [_debtor(i, 10_000 * i) for i in range(1, 7)]
           + [_debtor(7, 70_000, payments_12m=0, phone=None, email=None, broken_plans=3)])
    select_and_allocate(wh, lake, _settings(tmp_path, per_month=3), NOV, seed=1)
    got = _decisions(wh)
    assert [k for k, v in got.items() if v[0] == "SELECTED"] == [4, 5, 6]
    assert got[6][2] == 1 and got[4][2] == 3  # ranked by expected recovery
    # Debtor 7 owes more than 6 but is unlikely to pay: it ranks below the cutoff.
    assert got[7][:2] == ("NOT_SELECTED", "QUOTA") and got[7][2] > 3
    scores = dict(wh.query("SELECT debtor_id, score FROM core.selection_decision"))
    card = wh.query("SELECT weighted_due, likelihood FROM core.selection_score WHERE debtor_id = 6")[0]
    assert scores[6] == (card[0] * card[1]).quantize(Decimal("0.0001"))
    assert card[0] == Decimal("60000") + Decimal("6000") * Decimal("0.6")


def test_dossiers_carry_window_commission_and_exact_amounts_from_the_lake(world, tmp_path: Path) -> None:
    wh, lake = world
    # A debtor under two affiliation numbers: its dossier sums both, to the centime.
    _build(wh, lake, [_debtor(1, 33_333, surcharge=1_001, penalty=7, affiliations=["2000001", "2000002"])])
    select_and_allocate(wh, lake, _settings(tmp_path, per_month=1), NOV, seed=1)
    (row,) = _dossiers(wh)
    assert row[0] == "D202611-000001"
    assert row[4:6] == (NOV, dt.date(2027, 4, 30))  # 6-month window, last day inclusive
    agency = row[2]
    cap = Decimal("25000.00") if agency == "AG04" else Decimal("30000.00")
    assert row[7] == cap
    assert row[9:13] == (Decimal("33333.00"), Decimal("1001.00"), Decimal("7.00"), Decimal("34341.00"))
    assert wh.query("SELECT sum(amount_due), count(*) FROM core.dossier_period") == [(Decimal("34341.00"), 3)]
    assert wh.query("SELECT affiliation_no FROM core.dossier") == [("2000001",)]
    assert wh.query("SELECT agency_code, is_active FROM core.dim_agency ORDER BY 1") == [
        ("AG01", True), ("AG02", True), ("AG03", True), ("AG04", True)]


# --- idempotence, determinism, never twice --------------------------------------------------------

def test_a_rerun_reproduces_the_same_rows_and_dossier_ids(world, tmp_path: Path) -> None:
    wh, lake = world
    _build(wh, lake, [_debtor(i, 7_000 + 3_000 * i, region=[CASA, RABAT, TANGER, SOUSS][i % 4])
                      for i in range(1, 41)])
    settings = _settings(tmp_path, per_month=20)
    select_and_allocate(wh, lake, settings, NOV, seed=7)
    first = (_dossiers(wh), _decisions(wh), wh.query("SELECT * FROM core.dossier_period ORDER BY 1, 2, 3"))
    select_and_allocate(wh, lake, settings, NOV, seed=7)
    again = (_dossiers(wh), _decisions(wh), wh.query("SELECT * FROM core.dossier_period ORDER BY 1, 2, 3"))
    assert first == again and len(first[0]) == 20
    assert wh.query("SELECT count(*) FROM core.selection_run") == [(1,)]
    # The same data and seed in another warehouse give the same dossiers; another seed may split them
    # differently but selects the same debtors.
    with connect("duckdb:///:memory:") as other:
        migrate_connection(other)
        regions = [CASA, RABAT, TANGER, SOUSS]
        _build(other, tmp_path / "lake2", [_debtor(i, 7_000 + 3_000 * i, region=regions[i % 4])
                                           for i in range(1, 41)])
        select_and_allocate(other, tmp_path / "lake2", settings, NOV, seed=7)
        assert _dossiers(other) == first[0]
        select_and_allocate(other, tmp_path / "lake2", settings, NOV, seed=8)
        assert [r[1] for r in _dossiers(other)] == [r[1] for r in first[0]]


def test_a_published_month_is_left_as_is(world, tmp_path: Path) -> None:
    wh, lake = world
    _build(wh, lake, [_debtor(i, 10_000 * i) for i in range(1, 4)])
    settings = _settings(tmp_path, per_month=2)
    select_and_allocate(wh, lake, settings, NOV, seed=1)
    wh.execute("UPDATE core.dossier SET status = 'PUBLISHED'")
    before = _dossiers(wh)
    report = select_and_allocate(wh, lake, settings, NOV, seed=99)
    assert report.frozen and report.selected == 2 and _dossiers(wh) == before


def test_a_debtor_is_never_placed_twice_and_cools_off_after_a_recall(world, tmp_path: Path) -> None:
    wh, lake = world
    _build(wh, lake, [_debtor(i, 10_000 * i) for i in range(1, 6)])
    settings = _settings(tmp_path, per_month=2, recall_cooling_off_months=6)
    select_and_allocate(wh, lake, settings, NOV, seed=1)
    dec = dt.date(2026, 12, 1)
    select_and_allocate(wh, lake, settings, dec, seed=1)
    got = _decisions(wh, dec)
    assert got[5][1] == got[4][1] == "ALREADY_PLACED"
    assert [k for k, v in got.items() if v[0] == "SELECTED"] == [2, 3]
    # Entity resolution merged debtor 5 into debtor 1: debtor 1's entity is placed too.
    wh.execute("UPDATE core.dim_debtor SET status = 'MERGED', merged_into_debtor_id = 1 WHERE debtor_id = 5")
    select_and_allocate(wh, lake, settings, dec, seed=1)
    assert _decisions(wh, dec)[1][1] == "ALREADY_PLACED"
    # A dossier recalled in January cools its debtor off until July.
    wh.execute("UPDATE core.dim_debtor SET status = 'ACTIVE', merged_into_debtor_id = NULL "
               "WHERE debtor_id = 5")
    (nov5,) = wh.query("SELECT dossier_id FROM core.dossier WHERE debtor_id = 5")[0]
    wh.execute("INSERT INTO core.dossier_recall VALUES (?, ?, 'PAID_IN_FULL', 0, ?, NULL)",
               [nov5, dt.date(2027, 1, 15), dt.datetime(2027, 1, 15)])
    wh.execute("UPDATE core.dossier SET status = 'RECALLED' WHERE dossier_id = ?", [nov5])
    wh.execute("UPDATE core.dossier SET status = 'RECALLED' WHERE debtor_id <> 5")  # free the others
    for month, expected in ((dt.date(2027, 7, 1), "RECALL_COOLING_OFF"), (dt.date(2027, 8, 1), "TOP_SCORE")):
        select_and_allocate(wh, lake, settings, month, seed=1)
        assert _decisions(wh, month)[5][1] == expected
    assert wh.query("SELECT count(*) FROM (SELECT debtor_id FROM core.dossier WHERE status IN "
                    "('ALLOCATED', 'PUBLISHED') GROUP BY debtor_id HAVING count(*) > 1)") == [(0,)]


def test_no_portfolio_fails_clearly(world, tmp_path: Path) -> None:
    wh, lake = world
    with pytest.raises(SelectionError, match="no core.debtor_portfolio on or before 2026-11-01"):
        select_and_allocate(wh, lake, _settings(tmp_path), NOV, seed=1)
    with pytest.raises(SelectionError, match="not the first day"):
        select_and_allocate(wh, lake, _settings(tmp_path), dt.date(2026, 11, 2), seed=1)


# --- allocation -----------------------------------------------------------------------------------

def test_allocation_respects_regions_and_capacity(world, tmp_path: Path) -> None:
    wh, lake = world
    agencies = [_agency("N1", [TANGER, RABAT], 3), _agency("S1", [SOUSS, CASA], 4),
                _agency("ALL", list(REGIONS), 2)]
    debtors = ([_debtor(i, 100_000 - i, region=TANGER) for i in range(1, 6)]       # 5 north: 3 + 2 room
               + [_debtor(i, 50_000 - i, region=SOUSS) for i in range(10, 13)]
               + [_debtor(20, 40_000, region=None)])
    _build(wh, lake, debtors)
    report = select_and_allocate(wh, lake, _settings(tmp_path, per_month=9, agencies=agencies), NOV, seed=3)
    placed = dict(wh.query("SELECT debtor_id, agency_code FROM core.dossier"))
    allowed = {"N1": {TANGER, RABAT}, "S1": {SOUSS, CASA}, "ALL": set(REGIONS)}
    region = {d["debtor_id"]: d["region"] for d in debtors}
    assert all(region[d] in allowed[a] for d, a in placed.items() if region[d])
    counts = report.agencies
    assert counts["N1"]["dossiers"] <= 3 and counts["S1"]["dossiers"] <= 4 and counts["ALL"]["dossiers"] <= 2
    # North needs 5 seats (N1 3 + ALL 2): the unknown-region debtor, who only ALL can take, finds none.
    assert _decisions(wh)[20] == ("NOT_SELECTED", "NO_AGENCY_CAPACITY", 9)
    assert len(placed) == 8 and any("below programme.dossiers_per_month 9" in w for w in report.warnings)


def test_a_region_no_agency_serves_warns_or_fails(world, tmp_path: Path) -> None:
    wh, lake = world
    _build(wh, lake, [_debtor(1, 50_000, region=SOUSS), _debtor(2, 40_000, region=TANGER)])
    agencies = [_agency("N1", [TANGER], 5), _agency("N2", [RABAT], 5)]
    report = select_and_allocate(wh, lake, _settings(tmp_path, per_month=2, agencies=agencies), NOV, seed=1)
    assert _decisions(wh)[1] == ("NOT_SELECTED", "NO_AGENCY_CAPACITY", 1)
    assert any("Souss-Massa" in w for w in report.warnings)
    raw = yaml.safe_load((tmp_path / "config" / "recouvra.yaml").read_text(encoding="utf-8"))
    raw["allocation"]["unserved_region"] = "fail"
    path = tmp_path / "config" / "recouvra.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    with pytest.raises(SelectionError, match="no agency serves"):
        select_and_allocate(wh, lake, load_settings(tmp_path / "config" / "recouvra.yaml", environ={}), NOV,
                            seed=1)


def test_configuration_that_cannot_be_met_fails_at_start(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="exclude_already_placed"):
        _settings(tmp_path, exclude_already_placed=False)
    with pytest.raises(ConfigError, match="total monthly_capacity 4 is below"):
        _settings(tmp_path, per_month=5, agencies=[_agency("A1", [CASA], 4)])
    raw = yaml.safe_load(DEFAULT_CONFIG.read_text(encoding="utf-8"))
    raw["allocation"]["performance"]["min_share"] = "0.30"
    path = tmp_path / "config" / "recouvra.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ConfigError, match="min_share 0.30 for 4 agencies"):
        load_settings(path, environ={})


def _heavy_tailed(n: int, regions: list[str], seed: int) -> list[Candidate]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        due = Decimal(int(5_000 * rng.paretovariate(1.3))).quantize(Decimal("0.01"))
        sc = (due * Decimal(str(round(rng.uniform(0.05, 0.4), 4)))).quantize(Decimal("0.0001"))
        out.append(Candidate(i, regions[i % len(regions)], rng.choice(["FRESH", "UNPAID_TITLE"]), sc, due))
    return out


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_each_agency_gets_means_within_ten_percent_on_synthetic_tables(seed: int) -> None:
    regions = [CASA, RABAT, TANGER, SOUSS]
    slots = [AgencySlot("A", frozenset({CASA, RABAT}), 160, False),
             AgencySlot("B", frozenset({CASA, SOUSS, TANGER}), 160, False),
             AgencySlot("C", frozenset(REGIONS), 120, True)]
    flow = RegionFlow(slots)
    cands = [c for c in _heavy_tailed(400, regions, seed) if flow.add(c.region)]
    cands = score_bands(cands, 4)
    targets = apportion(len(cands), {s.code: s.capacity for s in slots}, {s.code: s.capacity for s in slots})
    result = allocate(cands, slots, targets, seed=seed, tolerance=0.10, max_draws=20)
    dev, per = balance(cands, result.agency_of)
    assert result.balance_met and dev is not None and dev <= 0.10
    assert {a: v["dossiers"] for a, v in per.items()} == targets
    by_code = {s.code: s for s in slots}
    assert all(c.region in by_code[result.agency_of[c.key]].regions for c in cands)


def test_shares_shift_towards_better_agencies_within_bounds() -> None:
    slots = [AgencySlot(c, frozenset(REGIONS), 200, True) for c in ("A", "B", "C", "D")]
    _, equal = agency_shares(slots, None, 0.10, 0.50)
    assert equal == {"A": 0.25, "B": 0.25, "C": 0.25, "D": 0.25}
    _, shifted = agency_shares(slots, {"A": 0.20, "B": 0.10, "C": 0.05, "D": 0.01}, 0.10, 0.40)
    assert shifted["A"] > shifted["B"] > shifted["C"] >= shifted["D"] == pytest.approx(0.10)
    assert shifted["A"] <= 0.40 + 1e-9 and sum(shifted.values()) == pytest.approx(1.0)
    assert sum(apportion(500, shifted, {c: 200 for c in "ABCD"}).values()) == 500


def test_recovery_rates_shift_the_split_after_enough_months_of_results(world, tmp_path: Path) -> None:
    wh, lake = world
    agencies = [_agency("A1", list(REGIONS), 30), _agency("A2", list(REGIONS), 30)]
    settings = _settings(tmp_path, per_month=20, agencies=agencies, performance={"max_share": "0.80"})
    _build(wh, lake, [_debtor(i, 10_000 + 100 * i) for i in range(1, 61)])
    months = [dt.date(2026, 11, 1), dt.date(2026, 12, 1), dt.date(2027, 1, 1)]
    for m in months:
        select_and_allocate(wh, lake, settings, m, seed=1)
    # A1 recovered half of what it was given in each month's horizon, A2 a tenth.
    for k, (dossier_id, agency, total, start) in enumerate(wh.query(
            "SELECT dossier_id, agency_code, total_due, assignment_start FROM core.dossier ORDER BY 1")):
        share = Decimal("0.5") if agency == "A1" else Decimal("0.1")
        wh.execute("INSERT INTO core.attribution VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                   [k + 1, dossier_id, agency, (total * share).quantize(Decimal("0.01")),
                    start + dt.timedelta(days=20),
                    dt.date(2026, 8, 1), start, dt.datetime(2027, 1, 1)])
    wh.execute("INSERT INTO core.commission_statement "
               "VALUES (?, 'X', 'A1', 0, 0.03, 30000, 0, 0, 0, false, NULL, ?)",
               [dt.date(2027, 3, 1), dt.datetime(2027, 4, 1)])
    wh.execute("UPDATE core.dossier SET status = 'RECALLED'")  # free the debtors for April
    report = select_and_allocate(wh, lake, settings, dt.date(2027, 4, 1), seed=1)
    assert report.share_rule == "RECOVERY_RATE"
    assert report.agencies["A1"]["recovery_rate"] == pytest.approx(0.5, abs=0.001)
    # Weights 30 x 0.5/0.3 and 30 x 0.1/0.3: shares 5/6 and 1/6, A1 bounded by max_share 0.80.
    assert report.agencies["A1"]["share"] == pytest.approx(0.8)
    assert (report.agencies["A1"]["dossiers"], report.agencies["A2"]["dossiers"]) == (16, 4)


# --- scoring and its calibration ------------------------------------------------------------------

def test_the_likelihood_is_refitted_towards_observed_outcomes() -> None:
    from recouvra.config import LikelihoodPrior

    prior = LikelihoodModel.from_prior(LikelihoodPrior())
    rng = random.Random(5)
    rows = []
    for _ in range(2000):
        f = Features(rng.randint(0, 12), 0, rng.randint(1, 40), 0, "ACTIVE", True, True, True)
        # The truth: payments matter far more than the prior thinks.
        z = -3.0 + 4.0 * min(f.payments_12m, 12) / 12
        rows.append((f, 1.0 if rng.random() < 1 / (1 + 2.718281828 ** -z) else 0.0))
    fitted = fit_likelihood(rows, prior, strength=1.0)
    assert fitted.source == "CALIBRATED"
    assert fitted.coefficients[0] > prior.coefficients[0] + 1.0
    assert fit_likelihood([], prior, strength=1.0) is prior


# --- lifecycle ------------------------------------------------------------------------------------

def test_recalls_for_payment_proceeding_plan_merge_and_expiry(world, tmp_path: Path) -> None:
    wh, lake = world
    _build(wh, lake, [_debtor(i, 10_000 * i) for i in range(1, 7)])
    settings = _settings(tmp_path, per_month=6)
    select_and_allocate(wh, lake, settings, NOV, seed=1)
    ids = dict(wh.query("SELECT debtor_id, dossier_id FROM core.dossier"))
    wh.execute("UPDATE core.dossier SET status = 'PUBLISHED'")
    day = dt.date(2026, 12, 15)
    ts = dt.datetime(2026, 12, 16)
    # 1 pays everything; 2 goes to court; 3 signs a plan with the fund; 4 signs one its agency
    # requested first (the agency's success: no recall).
    paid = [{"payment_id": k + 1, "receipt_no": f"R{k}", "affiliation_no": "1000001", "payment_date": day,
             "amount_centimes": cents, "settles_period": "2026-08", "kind": "PAYMENT", "channel": "ONLINE",
             "recorded_at": ts, "updated_at": ts} for k, cents in enumerate([1_000_000, 100_000])]
    _write_lake(lake, "ledger_payments", paid, "2026-12-16")
    _write_lake(lake, "legal_proceedings", [{"proceeding_id": "P1", "affiliation_no": "1000002",
                                             "kind": "FORCED_RECOVERY", "opened_on": day, "updated_at": ts}],
                "2026-12-16")
    _write_lake(lake, "payment_plans", [
        {"plan_id": f"L{a}", "affiliation_no": f"100000{a}", "signed_on": day, "installments": 6,
         "total_centimes": 100, "status": "ACTIVE", "updated_at": ts} for a in (3, 4)], "2026-12-16")
    wh.execute("INSERT INTO core.agency_plan VALUES ('AG01', 'X1', 'REQUESTED', ?, ?, 6, ?, 10, 1, 2)",
               [ids[4], dt.date(2026, 12, 1), dt.date(2027, 1, 5)])
    # 6 was merged into 5, which has an open dossier too.
    wh.execute("UPDATE core.dim_debtor SET status = 'MERGED', merged_into_debtor_id = 5 WHERE debtor_id = 6")
    report = refresh_dossiers(wh, lake, settings, dt.date(2026, 12, 20))
    assert report.dossiers == {ids[1]: "PAID_IN_FULL", ids[2]: "LEGAL_PROCEEDING", ids[3]: "PLAN_WITH_FUND",
                               ids[6]: "MERGED_DUPLICATE"}
    recalls = {r[0]: r[1:] for r in wh.query(
        "SELECT dossier_id, recall_date, recalled_amount, file_name FROM core.dossier_recall")}
    assert recalls[ids[1]] == (dt.date(2026, 12, 20), Decimal("0.00"), None)
    assert recalls[ids[2]] == (dt.date(2026, 12, 20), Decimal("22000.00"), None)
    assert dict(wh.query("SELECT dossier_id, status FROM core.dossier"))[ids[1]] == "RECALLED"
    # Idempotent; and after the window every dossier left is recalled EXPIRED on its last day.
    assert refresh_dossiers(wh, lake, settings, dt.date(2026, 12, 20)).recalled == {}
    late = refresh_dossiers(wh, lake, settings, dt.date(2027, 5, 3))
    assert late.dossiers == {ids[4]: "EXPIRED", ids[5]: "EXPIRED"}
    assert wh.query("SELECT recall_date FROM core.dossier_recall WHERE dossier_id = ?", [ids[5]]) == [
        (dt.date(2027, 4, 30),)]


# --- seeded S data --------------------------------------------------------------------------------

def test_seeded_S_data_is_selected_allocated_and_balanced(tmp_path: Path) -> None:
    import subprocess
    import sys

    from recouvra.debtor_master import build_debtor_master
    from recouvra.portfolio import extract_snapshot, gate_and_publish

    url = f"sqlite:///{tmp_path / 'source.db'}"
    subprocess.run([str(Path(sys.executable).parent / "recouvra"), "seed", "--scale", "S", "--url", url,
                    "--truth-dir", str(tmp_path / "truth")], check=True, capture_output=True)
    lake = tmp_path / "lake"
    high = dt.datetime.combine(NOV, dt.time())
    snaps = [extract_snapshot(url, lake, t, NOV, high, "r1") for t in TABLES]
    gate_and_publish(url, lake, tmp_path / "gx", snaps, "r1")
    settings = load_settings(DEFAULT_CONFIG, environ={})
    with connect(f"duckdb:///{tmp_path / 'wh.duckdb'}") as wh:
        migrate_connection(wh)
        build_debtor_master(wh, lake, NOV)
        report = select_and_allocate(wh, lake, settings, NOV, seed=2026)
        assert report.selected == 500 and report.balance_met and report.amount_mismatches == 0
        rows = wh.query(
            "SELECT agency_code, count(*), avg(s.score), avg(d.total_due) FROM core.dossier AS d "
            "JOIN core.selection_decision AS s "
            "ON s.selection_month = d.assignment_month AND s.debtor_id = d.debtor_id "
            "GROUP BY agency_code ORDER BY 1")
        (all_score, all_due), = wh.query(
            "SELECT avg(score), avg(total_due) FROM core.selection_decision WHERE decision = 'SELECTED'")
        for code, n, mean_score, mean_due in rows:
            assert n <= settings.agency(code).monthly_capacity
            assert abs(mean_score / all_score - 1) <= Decimal("0.10"), code
            assert abs(mean_due / all_due - 1) <= Decimal("0.10"), code
        assert wh.query(
            "SELECT count(*) FROM core.dossier AS d JOIN core.dim_agency AS a USING (agency_code) "
            "WHERE d.region IS NOT NULL AND strpos(a.regions, d.region) = 0") == [(0,)]
        assert wh.query("SELECT count(*) FROM core.selection_decision WHERE selection_month = ?", [NOV]) == [
            (report.considered,)]
        assert wh.query(
            "SELECT count(*) FROM core.dossier AS d JOIN (SELECT dossier_id, sum(amount_due) AS s FROM "
            "core.dossier_period GROUP BY 1) AS p USING (dossier_id) WHERE p.s <> d.total_due") == [(0,)]
        before = _dossiers(wh)
        select_and_allocate(wh, lake, settings, NOV, seed=2026)
        assert _dossiers(wh) == before


def test_a_month_that_selects_nothing_fails_naming_the_exclusions(world, tmp_path: Path) -> None:
    wh, lake = world
    _build(wh, lake, [_debtor(1, 50_000, in_proc=True), _debtor(2, 50_000, disputes=1),
                      _debtor(3, 4_000, surcharge=500), _debtor(4, 3_000)])
    report = select_and_allocate(wh, lake, _settings(tmp_path, per_month=5), NOV, seed=1)
    assert report.selected == 0 and report.considered == 4
    with pytest.raises(EmptySelectionError) as err:
        require_dossiers(report)
    text = str(err.value)
    assert "selection 2026-11-01: no dossier selected out of 4 debtors (0 eligible)" in text
    assert "excluded: BELOW_MINIMUM 2, DISPUTED 1, LEGAL_PROCEEDING 1" in text
    # the decisions are recorded all the same, for the engineer who reads the alert
    assert wh.query("SELECT count(*) FROM core.selection_decision WHERE decision = 'EXCLUDED'") == [(4,)]

"""The monthly selection (recouvra.selection.monthly.select_and_allocate): eligibility and its reasons,
ranking, dossiers and amounts, idempotence and never twice, allocation through the warehouse, and once
on seeded S data; small warehouse tables built directly (in-memory DuckDB + a tiny lake)."""

from __future__ import annotations

import datetime as dt
import importlib.util
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from recouvra.config import DEFAULT_CONFIG, REGIONS, load_settings
from recouvra.errors import ConfigError
from recouvra.lake import TABLES
from recouvra.selection import EmptySelectionError, SelectionError, require_dossiers, select_and_allocate
from recouvra.warehouse import connect, migrate_connection

# The small-world builders shared with the other selection tests and the PostgreSQL test (tests/ is not
# a package, so they are loaded by path).
_spec = importlib.util.spec_from_file_location("selection_worlds", Path(__file__).with_name("worlds.py"))
assert _spec is not None and _spec.loader is not None
worlds = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(worlds)
NOV, CASA, RABAT, TANGER, SOUSS = worlds.NOV, worlds.CASA, worlds.RABAT, worlds.TANGER, worlds.SOUSS
_settings, _agency, _debtor = worlds._settings, worlds._agency, worlds._debtor
_build, _decisions, _dossiers = worlds._build, worlds._decisions, worlds._dossiers


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
    wh.execute("INSERT INTO core.dossier_recall VALUES (?, ?, 'PAID_IN_FULL', 0, ?, NULL, ?)",
               [nov5, dt.date(2027, 1, 15), dt.datetime(2027, 1, 15), dt.date(2027, 1, 15)])
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
               "VALUES (?, 'X', 'A1', 0, 0.03, 30000, 0, 0, 0, false, NULL, ?, NULL, NULL, NULL)",
               [dt.date(2027, 3, 1), dt.datetime(2027, 4, 1)])
    wh.execute("UPDATE core.dossier SET status = 'RECALLED'")  # free the debtors for April
    report = select_and_allocate(wh, lake, settings, dt.date(2027, 4, 1), seed=1)
    assert report.share_rule == "RECOVERY_RATE"
    assert report.agencies["A1"]["recovery_rate"] == pytest.approx(0.5, abs=0.001)
    # Weights 30 x 0.5/0.3 and 30 x 0.1/0.3: shares 5/6 and 1/6, A1 bounded by max_share 0.80.
    assert report.agencies["A1"]["share"] == pytest.approx(0.8)
    assert (report.agencies["A1"]["dossiers"], report.agencies["A2"]["dossiers"]) == (16, 4)


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
        # Each dossier's rate is its agency's fee rule in force on its start, by segment and age of debt.
        fees = wh.query(
            "SELECT d.agency_code, d.segment, s.oldest_unpaid_age_months, d.assignment_start, "
            "d.commission_rate, d.commission_basis FROM core.dossier AS d JOIN core.selection_score AS s "
            "ON s.selection_month = d.assignment_month AND s.debtor_id = d.debtor_id")
        for code, segment, age, start, rate, basis in fees:
            fee = settings.agency(code).fee_for(segment, age, start)
            assert (rate, basis) == (fee.rate, fee.basis), (code, segment, age)
        bases = {(code, basis) for code, _, _, _, _, basis in fees}
        assert ("AG01", "fee schedule of 2026-08-01: FRESH, debt 0+ months old") in bases
        assert ("AG04", "agency's flat rate") in bases
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
